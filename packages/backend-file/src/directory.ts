import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { type PutRecord, type StoreEntry, StoreError, toTimestamp, validateKey } from "@store/core";
import { EntryIndex, type EntryMeta, type PageQuery } from "./entry-index";
import { fsyncDirectory, isAbsent, readFileWithStat, readRange, writeAll } from "./fs-utils";
import { deleteLine, dirLine, headerLine, type LogRecord, parseLines, putLine } from "./index-log";
import { decodeFileName, encodeKey, isLongName } from "./key-encoding";
import { DirLock, isProcessAlive, OWNER_PREFIX, ownerFilePid } from "./lock";
import { OpenFiles } from "./open-files";

/** The name of the directory beside the value files that holds the index, the lock and temp files. */
export const META_DIR = ".meta";
export const LOG_FILE = "index.jsonl";
const TMP_PREFIX = "tmp-";
/** Temp files of value writes, in the value directory itself. */
const VALUE_TMP_PREFIX = ".tmp-";
const KEYS_DIR = "keys";
const TRASH_DIR = "trash";
/** How long one background step of emptying the trash may block the event loop. */
const DRAIN_SLICE_MS = 5;
/** Rewrite the log once it holds this many superseded lines and at least as many as live ones. */
const COMPACT_MIN_GARBAGE = 10_000;

export interface DirectoryOptions {
  fsync: boolean;
  lockStaleMs: number;
  lockTimeoutMs: number;
  warn(message: string): void;
}

export interface PruneLimits {
  maxEntries?: number;
  olderThan?: string;
}

type Pending = { put: EntryMeta } | { del: string };

/** Log file descriptors held open across all directories of the process; the least recent are closed. */
const openLogs = new OpenFiles<StoreDirectory>(256, (d) => d.closeLogFd());
const LOG_OPEN_FLAGS = fs.constants.O_RDWR | fs.constants.O_APPEND;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One (store, project): a directory of `<key>.json` value files, and `.meta/` beside them with the
 * index log, the lock and temp files.
 *
 * Truth: the files are the truth for which entries exist and what their values are; the index is the
 * truth for metadata (created_at, updated_at, task_id) of a file as long as that file's size, mtime
 * and inode are the ones the index recorded when it was written. A file that differs was changed by
 * someone else: first the log's tail is read (another process's put), then, under the lock, the index
 * adopts the file as it is (updated_at = its mtime, task_id empty, created_at kept).
 *
 * Every change (put, delete, prune, repair) happens under the directory lock in one synchronous
 * section: read the log's tail, check the directory's mtime against the one last recorded (files
 * added or removed by hand → reconcile with readdir), change files, append to the log.
 */
export class StoreDirectory {
  readonly metaDir: string;
  readonly logPath: string;
  private readonly keysDir: string;
  private readonly trashDir: string;
  private readonly index = new EntryIndex();
  private lock: DirLock | undefined;
  /** Identity and consumed length of the log we have read; an fd on it, for reading its tail and appending. */
  private logFd = -1;
  private logIno = -1;
  /** An fd on the value directory: its mtime by fstat, cheaper than a path lookup on every op. */
  private dirFd = -1;
  private canOpenDirs = true;
  private logOffset = 0;
  private logLines = 0;
  /** The value directory's mtime after the last change the log records. */
  private expectedDirMtime: number | undefined;
  private needsReconcile = false;
  private needsSweep = true;
  /** We appended to the log since it was last fsynced (done at compaction and close). */
  private logUnsynced = false;
  /** Files moved to `.meta/trash/` by delete and prune, deleted in the background and at close. */
  private trash: string[] = [];
  private draining: ReturnType<typeof setTimeout> | undefined;
  private pending: Pending[] = [];
  private dirChanged = false;
  private tmpCounter = 0;
  private readonly tmpTag = `${process.pid}-${randomBytes(4).toString("hex")}`;
  private readonly warned = new Set<string>();

  constructor(
    readonly dir: string,
    readonly store: string,
    readonly project: string,
    private readonly options: DirectoryOptions,
  ) {
    this.metaDir = path.join(dir, META_DIR);
    this.logPath = path.join(this.metaDir, LOG_FILE);
    this.keysDir = path.join(this.metaDir, KEYS_DIR);
    this.trashDir = path.join(this.metaDir, TRASH_DIR);
  }

  // ── reads: no lock on the common path ────────────────────────────────────────────────────────────

  async get(key: string, notBefore?: string): Promise<StoreEntry | undefined> {
    if (!(await this.ensureLoaded())) return undefined;
    let meta = this.index.get(key);
    const name = meta?.name ?? encodeKey(key).name;
    const read = readFileWithStat(path.join(this.dir, name));
    if (!read) return undefined;
    if (!meta || !matches(meta, read.st)) {
      // Written by another process since we last looked, or changed by hand: read the log first.
      this.syncLog(false);
      meta = this.index.get(key);
    }
    let entry: StoreEntry | undefined;
    if (meta && matches(meta, read.st)) entry = this.toEntry(meta, read.text);
    else entry = await this.withLock(() => this.settle(key, name, true));
    return entry && notBefore !== undefined && entry.updatedAt < notBefore ? undefined : entry;
  }

  async list(query: PageQuery): Promise<StoreEntry[]> {
    if (!(await this.ensureLoaded())) return [];
    this.syncLog(false);
    const dirMtime = this.dirMtime();
    if (dirMtime === undefined) return [];
    // Files added or removed since the last recorded change: reconcile under the lock.
    if (dirMtime !== this.expectedDirMtime || this.needsReconcile) await this.withLock(() => {});
    let out: StoreEntry[] = [];
    for (let round = 0; round < 4; round++) {
      out = [];
      const stale: EntryMeta[] = [];
      for (const meta of this.index.page(query)) {
        const read = readFileWithStat(path.join(this.dir, meta.name));
        if (read && matches(meta, read.st)) out.push(this.toEntry(meta, read.text));
        else stale.push(meta);
      }
      if (stale.length === 0) return out;
      this.syncLog(false);
      if (stale.some((m) => this.index.get(m.key) === m)) {
        await this.withLock(() => {
          for (const m of stale) this.settle(m.key, m.name, false);
        });
      }
    }
    return out;
  }

  // ── writes: under the lock ───────────────────────────────────────────────────────────────────────

  async put(record: PutRecord, maxEntries?: number): Promise<void> {
    await this.withLock(() => {
      this.putLocked(record);
      if (maxEntries !== undefined && this.index.size > maxEntries) this.pruneLocked({ maxEntries });
    });
  }

  async putMany(records: PutRecord[]): Promise<void> {
    await this.withLock(() => {
      for (const r of records) this.putLocked(r);
    });
  }

  async delete(key: string): Promise<boolean> {
    if (!(await this.ensureLoaded())) return false;
    return this.withLock(() => {
      const meta = this.index.get(key);
      const { name, long } = meta ? { name: meta.name, long: isLongName(meta.name) } : encodeKey(key);
      const existed = this.discard(name);
      if (meta || existed) this.forget(key);
      if (long && existed) this.removeSidecar(name);
      return existed;
    });
  }

  async prune(limits: PruneLimits): Promise<number> {
    if (!(await this.ensureLoaded())) return 0;
    return this.withLock(() => this.pruneLocked(limits));
  }

  /** Forgets the in-memory index (the files and the log stay). */
  close(): void {
    if (this.draining) clearTimeout(this.draining);
    this.draining = undefined;
    this.drainTrash(Number.POSITIVE_INFINITY);
    if (this.logUnsynced && this.options.fsync && this.logFd !== -1) fs.fdatasyncSync(this.logFd);
    this.logUnsynced = false;
    this.closeLogFd();
    this.lock?.dispose();
    this.lock = undefined;
    this.resetIndex();
  }

  // ── the locked section ───────────────────────────────────────────────────────────────────────────

  private async withLock<T>(fn: () => T): Promise<T> {
    let lock = this.lock;
    if (!lock) {
      lock = new DirLock(this.metaDir, {
        staleMs: this.options.lockStaleMs,
        onBreak: (holder) => {
          this.needsSweep = true;
          this.warnOnce(`break:${holder}`, `removed a stale lock of ${holder} in ${this.metaDir}`);
        },
      });
      this.lock = lock;
    }
    if (!this.tryAcquire(lock)) await this.waitFor(lock);
    let result: T;
    try {
      this.prepare();
      result = fn();
    } catch (error) {
      this.finish(lock, true);
      throw error;
    }
    this.finish(lock, false);
    return result;
  }

  /** Records what the change did (also when it failed half-way: then the original error wins), unlocks. */
  private finish(lock: DirLock, failed: boolean): void {
    try {
      this.flush();
      if (!failed) this.maybeCompact();
    } catch (error) {
      if (!failed) throw error;
    } finally {
      this.pending = [];
      this.dirChanged = false;
      lock.release();
      if (this.trash.length > 0) this.scheduleDrain();
    }
  }

  private tryAcquire(lock: DirLock): boolean {
    try {
      return lock.tryAcquire();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      this.createDirectories();
      return lock.tryAcquire();
    }
  }

  private async waitFor(lock: DirLock): Promise<void> {
    const start = Date.now();
    let delay = 1;
    for (;;) {
      await sleep(delay * (0.5 + Math.random()));
      if (this.tryAcquire(lock)) return;
      delay = Math.min(delay * 2, 8);
      if (Date.now() - start > this.options.lockTimeoutMs) {
        throw new StoreError(
          "BACKEND_IO",
          `timed out after ${this.options.lockTimeoutMs} ms waiting for the lock ${lock.lockPath}, held by ${lock.describeHolder()}`,
        );
      }
    }
  }

  private createDirectories(): void {
    const created = fs.mkdirSync(this.dir, { recursive: true });
    fs.mkdirSync(this.metaDir, { recursive: true });
    if (created && this.options.fsync) {
      // Make the new directories themselves durable, up to the first one that already existed.
      let d = this.dir;
      for (;;) {
        fsyncDirectory(d);
        if (d === created) break;
        d = path.dirname(d);
      }
      fsyncDirectory(path.dirname(created));
    }
  }

  /** Under the lock, before the change: the index is current and matches the directory. */
  private prepare(): void {
    if (!this.syncLog(true)) this.rebuild();
    if (this.needsSweep) this.sweep();
    if (this.dirMtime() !== this.expectedDirMtime || this.needsReconcile) this.reconcile();
  }

  /** Appends what the change did, in one write, with the directory's mtime after it. */
  private flush(): void {
    if (this.pending.length === 0 && !this.dirChanged) return;
    let dirMtime: number | undefined;
    if (this.dirChanged) {
      if (this.options.fsync) fsyncDirectory(this.dir, this.dirFd);
      dirMtime = this.dirMtime();
    }
    let text = "";
    const last = this.pending.length - 1;
    for (let i = 0; i <= last; i++) {
      const p = this.pending[i] as Pending;
      const d = i === last ? dirMtime : undefined;
      text += "put" in p ? putLine(p.put, d) : deleteLine(p.del, d);
    }
    if (last < 0 && dirMtime !== undefined) text = dirLine(dirMtime);
    this.append(text, this.pending.length || 1);
    if (dirMtime !== undefined) this.expectedDirMtime = dirMtime;
  }

  private append(text: string, lines: number): void {
    // The log is open (prepare() read its tail under this same lock).
    this.logOffset += writeAll(this.logFd, text);
    this.logLines += lines;
    this.logUnsynced = true;
  }

  private putLocked(record: PutRecord): void {
    const prev = this.index.get(record.key);
    const { name, long } = prev ? { name: prev.name, long: isLongName(prev.name) } : encodeKey(record.key);
    if (long) this.writeSidecar(name, record.key);
    const st = this.writeValue(name, record.json, record.updatedAt);
    const meta: EntryMeta = {
      key: record.key,
      name,
      updatedAt: record.updatedAt,
      createdAt: record.createdAt ?? prev?.createdAt ?? record.updatedAt,
      taskId: record.taskId,
      bytes: st.size,
      mtime: st.mtimeMs,
      ino: st.ino,
    };
    this.index.set(meta);
    this.pending.push({ put: meta });
  }

  /**
   * A temp file beside the value (`.tmp-…`: hidden, never an entry), written, timestamped, fsynced
   * by policy, renamed into place. Same directory, so the rename is atomic and takes no filesystem-
   * wide lock (a rename across directories does, on Linux).
   */
  private writeValue(name: string, json: string, updatedAt: string): fs.Stats {
    // One name per instance (writes are serialized by the lock): the same directory slot is reused,
    // instead of a new name hashed into a different block of a large directory on every put.
    const tmp = path.join(this.dir, `${VALUE_TMP_PREFIX}${this.tmpTag}`);
    const fd = fs.openSync(tmp, "wx");
    this.dirChanged = true;
    let st: fs.Stats;
    try {
      writeAll(fd, json);
      // The file's mtime is its updated_at: `ls -t` shows list order, and a rebuild recovers it.
      const seconds = Date.parse(updatedAt) / 1000;
      fs.futimesSync(fd, seconds, seconds);
      st = fs.fstatSync(fd);
      if (this.options.fsync) fs.fsyncSync(fd);
    } catch (error) {
      fs.closeSync(fd);
      fs.rmSync(tmp, { force: true });
      throw error;
    }
    fs.closeSync(fd);
    try {
      fs.renameSync(tmp, path.join(this.dir, name));
    } catch (error) {
      fs.rmSync(tmp, { force: true });
      throw error;
    }
    return st;
  }

  private pruneLocked(limits: PruneLimits): number {
    let removed = 0;
    for (let round = 0; round < 4; round++) {
      const excess = limits.maxEntries === undefined ? 0 : this.index.size - limits.maxEntries;
      const victims: EntryMeta[] = [];
      for (const m of this.index.oldestFirst()) {
        if (victims.length < excess || (limits.olderThan !== undefined && m.updatedAt < limits.olderThan)) {
          victims.push(m);
        } else {
          break;
        }
      }
      let repaired = false;
      for (const m of victims) {
        const file = path.join(this.dir, m.name);
        const st = fs.lstatSync(file, { throwIfNoEntry: false });
        if (st && !matches(m, st)) {
          // Changed by hand since it was written: it is not the old entry any more.
          this.adopt(m.key, m.name, st, m);
          repaired = true;
          continue;
        }
        if (st && this.discard(m.name)) removed++;
        this.forget(m.key);
        if (isLongName(m.name)) this.removeSidecar(m.name);
      }
      if (!repaired) break;
    }
    return removed;
  }

  /**
   * Removes a value file from the directory: a rename into `.meta/trash/` (cheap), the unlink itself
   * happening later, off the caller's path (on some filesystems an unlink costs a millisecond).
   * False when there was no such file.
   */
  private discard(name: string): boolean {
    const target = `${this.tmpTag}-${++this.tmpCounter}`;
    for (let attempt = 0; ; attempt++) {
      try {
        fs.renameSync(path.join(this.dir, name), path.join(this.trashDir, target));
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT" && attempt === 0 && !fs.existsSync(this.trashDir)) {
          fs.mkdirSync(this.trashDir, { recursive: true });
          continue;
        }
        if (isAbsent(error)) return false;
        throw error;
      }
    }
    this.trash.push(target);
    this.dirChanged = true;
    return true;
  }

  private scheduleDrain(): void {
    if (this.draining) return;
    this.draining = setTimeout(() => {
      this.draining = undefined;
      try {
        this.drainTrash(DRAIN_SLICE_MS);
      } catch (error) {
        this.warnOnce("trash", `file: could not empty ${this.trashDir}: ${(error as Error).message}`);
        return;
      }
      if (this.trash.length > 0) this.scheduleDrain();
    }, 1);
    this.draining.unref?.();
  }

  /** Deletes trashed files for up to `budgetMs`. */
  private drainTrash(budgetMs: number): void {
    const deadline = performance.now() + budgetMs;
    while (this.trash.length > 0) {
      const name = this.trash[this.trash.length - 1] as string;
      fs.rmSync(path.join(this.trashDir, name), { force: true });
      this.trash.pop();
      if (performance.now() >= deadline) return;
    }
  }

  /**
   * Under the lock: what the file of `key` holds now, with metadata to match. A file the index does
   * not describe is adopted as it is; a missing one is forgotten.
   */
  private settle(key: string, name: string, wantEntry: boolean): StoreEntry | undefined {
    const read = readFileWithStat(path.join(this.dir, name));
    if (!read) {
      if (this.index.get(key)) this.forget(key);
      return undefined;
    }
    let meta = this.index.get(key);
    if (!meta || !matches(meta, read.st)) meta = this.adopt(key, name, read.st, meta);
    return wantEntry ? this.toEntry(meta, read.text) : undefined;
  }

  /** Takes a file as it is: updated_at is its mtime; created_at is kept; task_id is unknown. */
  private adopt(key: string, name: string, st: fs.Stats, prev?: EntryMeta): EntryMeta {
    const updatedAt = toTimestamp(Math.round(st.mtimeMs));
    const createdAt = prev && prev.createdAt <= updatedAt ? prev.createdAt : updatedAt;
    const meta: EntryMeta = {
      key,
      name,
      updatedAt,
      createdAt,
      taskId: "",
      bytes: st.size,
      mtime: st.mtimeMs,
      ino: st.ino,
    };
    this.index.set(meta);
    this.pending.push({ put: meta });
    return meta;
  }

  private forget(key: string): void {
    this.index.delete(key);
    this.pending.push({ del: key });
  }

  // ── the log ──────────────────────────────────────────────────────────────────────────────────────

  /** Loads the index for a read. False when there is no store here yet. */
  private async ensureLoaded(): Promise<boolean> {
    if (this.logIno !== -1) return true;
    if (this.syncLog(false)) return true;
    if (!fs.existsSync(this.dir)) return false;
    // Value files without an index (deleted, or files put there by hand): build it, under the lock.
    await this.withLock(() => {});
    return true;
  }

  /**
   * Reads what other processes appended since we last looked (a replaced log is read whole). False
   * when there is no log. Under the lock, a torn last line (a writer killed mid-append) is closed
   * off, so that the next line starts clean.
   */
  private syncLog(locked: boolean): boolean {
    let st: fs.Stats | undefined;
    if (this.logFd !== -1) {
      st = fs.fstatSync(this.logFd);
      // Replaced by a compaction, or deleted by hand: open whatever the path names now.
      if (st.nlink === 0) this.closeLogFd();
      else openLogs.touch(this);
    }
    if (this.logFd === -1) {
      try {
        this.logFd = fs.openSync(this.logPath, LOG_OPEN_FLAGS);
      } catch (error) {
        if (!isAbsent(error)) throw error;
        if (this.logIno !== -1) this.resetIndex();
        return false;
      }
      openLogs.add(this);
      st = fs.fstatSync(this.logFd);
    }
    const { ino, size } = st as fs.Stats;
    if (ino !== this.logIno || size < this.logOffset) {
      this.resetIndex();
      this.logIno = ino;
      this.index.beginBulk();
      try {
        this.readTail(size, locked);
      } finally {
        this.index.endBulk();
      }
      if (this.expectedDirMtime === undefined) this.needsReconcile = true;
      return true;
    }
    if (size > this.logOffset) this.readTail(size, locked);
    return true;
  }

  /** Closes the fds on the log and the directory (reopened by path when next needed). */
  closeLogFd(): void {
    openLogs.delete(this);
    if (this.dirFd !== -1) {
      const fd = this.dirFd;
      this.dirFd = -1;
      fs.closeSync(fd);
    }
    if (this.logFd === -1) return;
    const fd = this.logFd;
    this.logFd = -1;
    fs.closeSync(fd);
  }

  /** The value directory's mtime (ms), or undefined when the directory does not exist. */
  private dirMtime(): number | undefined {
    if (this.dirFd !== -1) {
      const st = fs.fstatSync(this.dirFd);
      if (st.nlink > 0) return st.mtimeMs;
      // Removed (and maybe made again) by hand: look the path up again.
      fs.closeSync(this.dirFd);
      this.dirFd = -1;
    }
    if (!this.canOpenDirs) return fs.statSync(this.dir, { throwIfNoEntry: false })?.mtimeMs;
    try {
      this.dirFd = fs.openSync(this.dir, "r");
    } catch (error) {
      if (isAbsent(error)) return undefined;
      // Windows cannot open a directory as a file: use a path lookup each time there.
      this.canOpenDirs = false;
      return fs.statSync(this.dir, { throwIfNoEntry: false })?.mtimeMs;
    }
    if (this.logFd === -1) openLogs.add(this);
    return fs.fstatSync(this.dirFd).mtimeMs;
  }

  private readTail(size: number, locked: boolean): void {
    const buf = readRange(this.logFd, this.logOffset, size - this.logOffset);
    const end = buf.lastIndexOf(10) + 1;
    if (end > 0) {
      const { records, bad } = parseLines(buf.toString("utf8", 0, end));
      for (const r of records) this.apply(r);
      this.logLines += records.length + bad;
      if (bad > 0) {
        this.needsReconcile = true;
        this.warnOnce(
          "bad-lines",
          `skipped ${bad} unreadable line(s) in ${this.logPath}; checking the files`,
        );
      }
      this.logOffset += end;
    }
    if (locked && end < buf.length) {
      // Only a writer killed mid-append leaves a partial line while nobody holds the lock.
      writeAll(this.logFd, "\n");
      this.logOffset = size + 1;
      this.logLines++;
      this.needsReconcile = true;
    }
  }

  private apply(r: LogRecord): void {
    switch (r.kind) {
      case "header":
        if (r.header.store !== this.store || r.header.project !== this.project) {
          const other = `store "${r.header.store}"${r.header.project ? ` project "${r.header.project}"` : ""}`;
          throw new StoreError(
            "BACKEND_IO",
            `the directory ${this.dir} already holds ${other}: names that differ only in case share a directory on a case-insensitive filesystem; rename one of them`,
          );
        }
        if (r.header.dir_mtime !== undefined) this.expectedDirMtime = r.header.dir_mtime;
        return;
      case "put":
        r.meta.name = encodeKey(r.meta.key).name;
        this.index.set(r.meta);
        break;
      case "delete":
        this.index.delete(r.key);
        break;
    }
    if (r.dirMtime !== undefined) this.expectedDirMtime = r.dirMtime;
  }

  private resetIndex(): void {
    this.index.clear();
    this.logIno = -1;
    this.logOffset = 0;
    this.logLines = 0;
    this.expectedDirMtime = undefined;
    this.needsReconcile = false;
  }

  /** No log (first write, or deleted to force a rebuild): index the files there are, write a log. */
  private rebuild(): void {
    this.resetIndex();
    const found = this.scan();
    if (found.adopted > 0) {
      this.options.warn(
        `file: rebuilt the index of ${this.dir} from its ${found.adopted} file(s): task ids are unknown and updated_at is each file's mtime`,
      );
    }
    this.pending = [];
    this.writeSnapshot();
  }

  /**
   * Files added or removed behind the index's back: readdir, adopt the unknown names, forget the
   * missing ones. Known files are not stat'ed here; a changed one is noticed when it is read.
   */
  private reconcile(): void {
    this.scan();
    this.needsReconcile = false;
    this.dirChanged = true; // record the directory's mtime as now seen
  }

  private scan(): { adopted: number } {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch (error) {
      if (!isAbsent(error)) throw error;
      names = [];
    }
    const longNames = new Map<string, EntryMeta>();
    for (const m of this.index.values()) if (isLongName(m.name)) longNames.set(m.name, m);
    const seen = new Set<string>();
    let adopted = 0;
    for (const name of names) {
      if (name.startsWith(".")) {
        // A value write's temp file, left by a writer that died (we hold the lock: no one else writes).
        if (name.startsWith(VALUE_TMP_PREFIX)) fs.rmSync(path.join(this.dir, name), { force: true });
        continue;
      }
      const key = this.keyOfName(name, longNames);
      if (key === undefined) continue;
      seen.add(key);
      if (this.index.get(key)) continue;
      const st = fs.statSync(path.join(this.dir, name), { throwIfNoEntry: false });
      if (!st?.isFile()) continue;
      this.adopt(key, name, st);
      adopted++;
    }
    const missing: string[] = [];
    for (const m of this.index.values()) if (!seen.has(m.key)) missing.push(m.key);
    for (const key of missing) this.forget(key);
    return { adopted };
  }

  /** The key of a file in the directory, or undefined for files that are not entries. */
  private keyOfName(name: string, longNames: Map<string, EntryMeta>): string | undefined {
    if (isLongName(name)) {
      const known = longNames.get(name);
      if (known) return known.key;
      const key = this.readSidecar(name);
      if (key !== undefined && encodeKey(key).name === name) return key;
      this.warnOnce(
        `long:${name}`,
        `file: ignoring ${path.join(this.dir, name)}: its key is not recorded in ${this.keysDir}`,
      );
      return undefined;
    }
    const key = decodeFileName(name);
    if (key !== undefined && encodeKey(key).name === name && isValidKey(key)) return key;
    this.warnOnce(
      `name:${name}`,
      `file: ignoring ${path.join(this.dir, name)}: not the file name of a key${key !== undefined && isValidKey(key) ? ` (the key ${JSON.stringify(key)} is stored as ${encodeKey(key).name})` : ""}`,
    );
    return undefined;
  }

  /** The log rewritten: a header and one line per live entry, oldest first; replaced atomically. */
  private writeSnapshot(): void {
    const dirMtime = this.dirMtime() ?? 0;
    const chunks: string[] = [headerLine(this.store, this.project, dirMtime)];
    for (const m of this.index.oldestFirst()) chunks.push(putLine(m));
    const tmp = path.join(this.metaDir, `${TMP_PREFIX}${this.tmpTag}-index`);
    const fd = fs.openSync(tmp, "w");
    try {
      writeAll(fd, chunks.join(""));
      if (this.options.fsync) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.logPath);
    this.logUnsynced = false;
    if (this.options.fsync) fsyncDirectory(this.metaDir);
    this.closeLogFd();
    this.logFd = fs.openSync(this.logPath, LOG_OPEN_FLAGS);
    openLogs.add(this);
    const st = fs.fstatSync(this.logFd);
    this.logIno = st.ino;
    this.logOffset = st.size;
    this.logLines = chunks.length;
    this.expectedDirMtime = dirMtime;
    this.needsReconcile = false;
  }

  private maybeCompact(): void {
    const garbage = this.logLines - this.index.size - 1;
    if (garbage > COMPACT_MIN_GARBAGE && garbage > this.index.size) this.writeSnapshot();
  }

  /** Temp files of writers that died (any present while we hold the lock), owner files of gone pids. */
  private sweep(): void {
    this.needsSweep = false;
    let names: string[];
    try {
      names = fs.readdirSync(this.metaDir);
    } catch (error) {
      if (isAbsent(error)) return;
      throw error;
    }
    for (const name of names) {
      if (name === TRASH_DIR) {
        // Files trashed by processes that ended before emptying it (or still emptying it: harmless).
        for (const t of fs.readdirSync(path.join(this.metaDir, TRASH_DIR))) this.trash.push(t);
      } else if (name.startsWith(TMP_PREFIX)) {
        fs.rmSync(path.join(this.metaDir, name), { force: true });
      } else if (name.startsWith(OWNER_PREFIX)) {
        const pid = ownerFilePid(name);
        if (pid !== undefined && pid !== process.pid && !isProcessAlive(pid)) {
          fs.rmSync(path.join(this.metaDir, name), { force: true });
        }
      }
    }
  }

  // ── long keys: the key is kept in .meta/keys/<file name> for rebuilds ───────────────────────────

  private writeSidecar(name: string, key: string): void {
    if (this.readSidecar(name) === key) return;
    fs.mkdirSync(this.keysDir, { recursive: true });
    const tmp = path.join(this.metaDir, `${TMP_PREFIX}${this.tmpTag}-${++this.tmpCounter}`);
    fs.writeFileSync(tmp, key, { flush: this.options.fsync });
    fs.renameSync(tmp, path.join(this.keysDir, name));
  }

  private readSidecar(name: string): string | undefined {
    try {
      return fs.readFileSync(path.join(this.keysDir, name), "utf8");
    } catch (error) {
      if (isAbsent(error)) return undefined;
      throw error;
    }
  }

  private removeSidecar(name: string): void {
    fs.rmSync(path.join(this.keysDir, name), { force: true });
  }

  // ── helpers ──────────────────────────────────────────────────────────────────────────────────────

  private toEntry(meta: EntryMeta, text: string): StoreEntry {
    let value: StoreEntry["value"];
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new StoreError(
        "BACKEND_IO",
        `the file ${path.join(this.dir, meta.name)} of key ${JSON.stringify(meta.key)} does not hold JSON (edited by hand?): ${(error as Error).message}`,
        { cause: error, details: { key: meta.key, file: path.join(this.dir, meta.name) } },
      );
    }
    return {
      key: meta.key,
      value,
      createdAt: meta.createdAt,
      updatedAt: meta.updatedAt,
      taskId: meta.taskId,
    };
  }

  private warnOnce(id: string, message: string): void {
    if (this.warned.has(id)) return;
    this.warned.add(id);
    this.options.warn(message);
  }
}

/** Is this file the one the index describes? (A new write is a new inode with its own mtime.) */
function matches(meta: EntryMeta, st: fs.Stats): boolean {
  return meta.ino === st.ino && meta.bytes === st.size && meta.mtime === st.mtimeMs;
}

function isValidKey(key: string): boolean {
  try {
    validateKey(key);
    return true;
  } catch {
    return false;
  }
}
