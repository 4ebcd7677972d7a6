import fs from "node:fs";
import { nextVersion } from "@store/core/backend";
import { EntryIndex, type EntryMeta } from "./entry-index";
import { errors } from "./errors";
import { APPEND_FLAGS, fsyncDirectory, openNoFollow, readRange, replaceFile, writeAll } from "./fs-utils";
import { encodeKey } from "./key-encoding";
import type { StoreLayout } from "./layout";
import { headerLine, LOG_FORMAT_VERSION, type LogRecord, parseLines, putLine } from "./log-format";
import type { OpenFiles } from "./open-files";

/** Rewrite the log once it holds this many superseded lines and at least as many as live ones. */
const COMPACT_MIN_GARBAGE = 10_000;

export interface IndexLogOptions {
  store: string;
  project: string;
  fsync: boolean;
  /** Where this log's file descriptor counts against the process's cap. */
  openFiles: OpenFiles<{ closeFd(): void }>;
  tempFile(): string;
  warnOnce(id: string, message: string): void;
}

/**
 * The index of one (store, project) as its log, `.meta/index.jsonl`, describes it: loaded once, then
 * kept current by reading only what other processes appended (a log replaced by a compaction is
 * noticed by its inode and read whole). Changes are appended under the directory lock; once mostly
 * superseded, the log is rewritten as one line per entry (compaction).
 */
export class IndexLog {
  readonly index = new EntryIndex();
  /** At least every version ever removed from the project (see `nextVersion`). */
  floor = 0;
  /** The value directory's mtime after the last change the log records. */
  expectedDirMtime: number | undefined;
  /** The log could not tell everything (unreadable lines, a torn tail): check the files. */
  needsReconcile = false;
  /** Identity and consumed length of the log read; an fd on it, for reading its tail and appending. */
  private fd = -1;
  private ino = -1;
  private offset = 0;
  private lines = 0;
  /** Appended since the log was last fsynced (done at compaction and close). */
  private unsynced = false;

  constructor(
    private readonly layout: StoreLayout,
    private readonly options: IndexLogOptions,
  ) {}

  /** A log has been read (it may have been removed since). */
  get loaded(): boolean {
    return this.ino !== -1;
  }

  /**
   * Reads what other processes appended since we last looked (a replaced log is read whole). False
   * when there is no log. Under the lock, a torn last line (a writer killed mid-append) is closed
   * off, so that the next line starts clean. A link at the log's path is refused.
   */
  sync(locked: boolean): boolean {
    let st: fs.Stats | undefined;
    if (this.fd !== -1) {
      st = fs.fstatSync(this.fd);
      // Replaced by a compaction, or deleted by hand: open whatever the path names now.
      if (st.nlink === 0) this.closeFd();
      else this.options.openFiles.touch(this);
    }
    if (this.fd === -1) {
      const fd = openNoFollow(this.layout.logFile, APPEND_FLAGS, "open the index log");
      if (fd === undefined) {
        if (this.loaded) this.reset();
        return false;
      }
      this.fd = fd;
      this.options.openFiles.add(this);
      st = fs.fstatSync(fd);
    }
    const { ino, size } = st as fs.Stats;
    if (ino !== this.ino || size < this.offset) {
      this.reset();
      this.ino = ino;
      this.index.beginBulk();
      try {
        this.readTail(size, locked);
      } finally {
        this.index.endBulk();
      }
      if (this.expectedDirMtime === undefined) this.needsReconcile = true;
      return true;
    }
    if (size > this.offset) this.readTail(size, locked);
    return true;
  }

  /** Appends lines (under the lock, after `sync(true)`: the log is open and read to its end). */
  append(text: string, lines: number): void {
    this.offset += writeAll(this.fd, text);
    this.lines += lines;
    this.unsynced = true;
  }

  /** Mostly superseded lines: worth rewriting. */
  get wantsCompaction(): boolean {
    const garbage = this.lines - this.index.size - 1;
    return garbage > COMPACT_MIN_GARBAGE && garbage > this.index.size;
  }

  /**
   * The log rewritten from the index: a header (with the floor) and one line per live entry, oldest
   * first, replacing the old log atomically. Also how a rebuilt index is first written.
   */
  writeSnapshot(dirMtime: number): void {
    const { store, project, fsync } = this.options;
    const chunks: string[] = [headerLine(store, project, dirMtime, this.floor)];
    for (const m of this.index.oldestFirst()) chunks.push(putLine(m));
    replaceFile(this.options.tempFile(), this.layout.logFile, chunks.join(""), fsync);
    this.unsynced = false;
    if (fsync) fsyncDirectory(this.layout.metaDir);
    this.closeFd();
    const fd = openNoFollow(this.layout.logFile, APPEND_FLAGS, "open the index log");
    if (fd === undefined)
      throw errors.error("BACKEND_IO", `${this.layout.logFile} vanished as it was written`);
    this.fd = fd;
    this.options.openFiles.add(this);
    const st = fs.fstatSync(fd);
    this.ino = st.ino;
    this.offset = st.size;
    this.lines = chunks.length;
    this.expectedDirMtime = dirMtime;
    this.needsReconcile = false;
  }

  /** Forgets everything read (the files and the log stay). */
  reset(): void {
    this.index.clear();
    this.floor = 0;
    this.ino = -1;
    this.offset = 0;
    this.lines = 0;
    this.expectedDirMtime = undefined;
    this.needsReconcile = false;
  }

  /** fdatasync of what this process appended (policy permitting), at close. */
  flushToDisk(): void {
    if (this.unsynced && this.options.fsync && this.fd !== -1) fs.fdatasyncSync(this.fd);
    this.unsynced = false;
  }

  /** Closes the fd (reopened by path when next needed). */
  closeFd(): void {
    this.options.openFiles.delete(this);
    if (this.fd === -1) return;
    const fd = this.fd;
    this.fd = -1;
    fs.closeSync(fd);
  }

  private readTail(size: number, locked: boolean): void {
    const buf = readRange(this.fd, this.offset, size - this.offset);
    const end = buf.lastIndexOf(10) + 1;
    if (end > 0) {
      const { records, bad } = parseLines(buf.toString("utf8", 0, end));
      for (const r of records) this.apply(r);
      this.lines += records.length + bad;
      if (bad > 0) {
        this.needsReconcile = true;
        this.options.warnOnce(
          "bad-lines",
          `file: skipped ${bad} unreadable line(s) in ${this.layout.logFile}; checking the files`,
        );
      }
      this.offset += end;
    }
    if (locked && end < buf.length) {
      // Only a writer killed mid-append leaves a partial line while nobody holds the lock.
      writeAll(this.fd, "\n");
      this.offset = size + 1;
      this.lines++;
      this.needsReconcile = true;
    }
  }

  /**
   * One record into the index. A line without a version (format 1, written by 0.1.0) gets the version
   * that write would get now: `nextVersion` of the key's previous line and the floor, so a key put
   * three times reads as version 3, and every process replaying the same log agrees.
   */
  private apply(r: LogRecord): void {
    switch (r.kind) {
      case "header":
        this.checkHeader(r.header);
        if (r.header.dir_mtime !== undefined) this.expectedDirMtime = r.header.dir_mtime;
        if (r.header.floor !== undefined) this.floor = Math.max(this.floor, r.header.floor);
        return;
      case "put": {
        const previous = this.index.get(r.meta.key);
        const meta = r.meta as EntryMeta;
        meta.name = encodeKey(meta.key).name;
        meta.version ??= nextVersion(previous?.version, this.floor);
        this.index.set(meta);
        break;
      }
      case "delete": {
        const removed = this.index.delete(r.key);
        this.floor = Math.max(this.floor, r.version ?? removed?.version ?? 0);
        break;
      }
    }
    if (r.dirMtime !== undefined) this.expectedDirMtime = r.dirMtime;
  }

  private checkHeader(header: { wfstore_file_index: number; store: string; project: string }): void {
    const { store, project } = this.options;
    if (header.wfstore_file_index > LOG_FORMAT_VERSION) {
      throw errors.error(
        "BACKEND_IO",
        `${this.layout.logFile} is in index format ${header.wfstore_file_index}, written by a newer @store/backend-file; this one reads formats up to ${LOG_FORMAT_VERSION}: upgrade it`,
        { details: { path: this.layout.logFile } },
      );
    }
    if (header.store !== store || header.project !== project) {
      const other = `store "${header.store}"${header.project ? ` project "${header.project}"` : ""}`;
      throw errors.error(
        "BACKEND_IO",
        `the directory ${this.layout.dir} already holds ${other}: names that differ only in case share a directory on a case-insensitive filesystem; rename one of them`,
        { details: { path: this.layout.dir } },
      );
    }
  }
}
