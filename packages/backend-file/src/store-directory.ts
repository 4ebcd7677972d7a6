import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import {
  type Conflict,
  conflict,
  type DeleteOptions,
  type ListQuery,
  nextVersion,
  type PruneQuery,
  type PutOptions,
  type PutRecord,
  type StoreEntry,
} from "@store/core/backend";
import type { EntryMeta } from "./entry-index";
import { errors } from "./errors";
import { CREATE_FLAGS, readFileWithStat, writeAll } from "./fs-utils";
import { IndexLog } from "./index-log";
import { encodeKey, isLongName } from "./key-encoding";
import { META_TEMP_PREFIX, type StoreLayout, storeLayout, VALUE_TEMP_PREFIX } from "./layout";
import { DirLock, tryAcquireLock, waitForLock } from "./lock";
import { deleteLine, dirLine, putLine } from "./log-format";
import { LongKeys } from "./long-keys";
import { OpenFiles } from "./open-files";
import { type DirIdentity, isSameDirectory, realDirectory } from "./real-dirs";
import { DirectoryWatch, type ScanTarget, scanDirectory } from "./reconcile";
import { sweepMeta } from "./sweep";
import { Trash } from "./trash";
import { VersionCeiling } from "./version-ceiling";

export interface DirectoryOptions {
  /** The configured root: trusted; every directory below it is checked not to be a link. */
  root: string;
  fsync: boolean;
  lockStaleMs: number;
  lockTimeoutMs: number;
  warn(message: string): void;
}

/** A change made under the lock, appended to the log when the locked section ends. */
type Change = { put: EntryMeta } | { del: string; version: number | undefined };

/** File descriptors held open across all directories of the process; the least recent are closed. */
const openFiles = new OpenFiles<{ closeFd(): void }>(256, (holder) => holder.closeFd());

/**
 * One (store, project): a directory of `<key>.json` value files, and `.meta/` beside them with the
 * index log, the lock and what else the backend keeps (see layout.ts). Holds the ops.
 *
 * Reads take no lock on the common path: the value file, and the in-memory index kept current from
 * the log. Every change (put, delete, prune, adopting a hand edit) happens under the directory lock in
 * one synchronous section: read the log's tail, check the directory against the mtime last recorded
 * (reconcile.ts), check conditions, change files, append to the log.
 */
export class StoreDirectory {
  readonly layout: StoreLayout;
  private readonly log: IndexLog;
  private readonly watch: DirectoryWatch;
  private readonly trash: Trash;
  private readonly longKeys: LongKeys;
  private readonly ceiling: VersionCeiling;
  private lock: DirLock | undefined;
  /** The value directory and `.meta` as last checked to be real directories (not links). */
  private dirId: DirIdentity | undefined;
  private metaId: DirIdentity | undefined;
  private needsSweep = true;
  private changes: Change[] = [];
  private dirChanged = false;
  private tempCounter = 0;
  private readonly tempTag = `${process.pid}-${randomBytes(4).toString("hex")}`;
  private readonly warned = new Set<string>();
  private readonly scanTarget: ScanTarget;

  constructor(
    readonly dir: string,
    readonly store: string,
    readonly project: string,
    private readonly options: DirectoryOptions,
  ) {
    const layout = storeLayout(dir);
    this.layout = layout;
    const warnOnce = (id: string, message: string) => this.warnOnce(id, message);
    const tempFile = () =>
      path.join(layout.metaDir, `${META_TEMP_PREFIX}${this.tempTag}-${++this.tempCounter}`);
    this.log = new IndexLog(layout, { store, project, fsync: options.fsync, openFiles, tempFile, warnOnce });
    this.watch = new DirectoryWatch(dir, openFiles);
    this.trash = new Trash(layout.metaDir, layout.trashDir, this.tempTag, options.fsync, warnOnce);
    this.longKeys = new LongKeys(layout.metaDir, layout.keysDir, tempFile, options.fsync);
    this.ceiling = new VersionCeiling(layout.ceilingFile, layout.metaDir, tempFile, options.fsync);
    this.scanTarget = {
      dir,
      index: this.log.index,
      longKeys: this.longKeys,
      adopt: (key, name, st) => this.adopt(key, name, st),
      forget: (key) => this.forget(key),
      warnOnce,
    };
  }

  // ── reads: no lock on the common path ────────────────────────────────────────────────────────────

  async get(key: string, notBefore?: string): Promise<StoreEntry | undefined> {
    // `loaded` first: the common case skips a microtask.
    if (!this.log.loaded && !(await this.ensureLoaded())) return undefined;
    let meta = this.log.index.get(key);
    const name = meta?.name ?? encodeKey(key).name;
    const read = readFileWithStat(path.join(this.dir, name));
    if (!read) return undefined;
    if (!meta || !matches(meta, read.st)) {
      // Written by another process since we last looked, or changed by hand: read the log first.
      this.log.sync(false);
      meta = this.log.index.get(key);
    }
    let entry: StoreEntry | undefined;
    if (meta && matches(meta, read.st)) entry = this.toEntry(meta, read.text);
    else entry = await this.withLock(() => this.settle(key, name, true));
    return entry && isLive(entry, notBefore) ? entry : undefined;
  }

  async list(query: ListQuery): Promise<StoreEntry[]> {
    if (!this.log.loaded && !(await this.ensureLoaded())) return [];
    this.log.sync(false);
    const dirMtime = this.watch.mtime();
    if (dirMtime === undefined) return [];
    // Files added or removed since the last recorded change: reconcile under the lock.
    if (dirMtime !== this.log.expectedDirMtime || this.log.needsReconcile) await this.withLock(() => {});
    let out: StoreEntry[] = [];
    for (let round = 0; round < 4; round++) {
      out = [];
      const stale: EntryMeta[] = [];
      for (const meta of this.log.index.page(query)) {
        // A link planted over an entry's file is not read: settled below, it stops being an entry.
        const read = readFileWithStat(path.join(this.dir, meta.name), "absent");
        if (read && matches(meta, read.st)) out.push(this.toEntry(meta, read.text));
        else stale.push(meta);
      }
      if (stale.length === 0) return out;
      this.log.sync(false);
      if (stale.some((m) => this.log.index.get(m.key) === m)) {
        await this.withLock(() => {
          for (const m of stale) this.settle(m.key, m.name, false);
        });
      }
    }
    return out;
  }

  // ── writes: under the lock ───────────────────────────────────────────────────────────────────────

  /** Writes unless a condition fails; then writes nothing, trims nothing and returns the conflict. */
  async put(record: PutRecord, options: PutOptions): Promise<number | Conflict> {
    // No store here yet: nothing can have the version asked for, and nothing is made for a refusal.
    if (options.ifVersion !== undefined && !this.log.loaded && !(await this.ensureLoaded())) {
      return conflict(undefined);
    }
    return this.withLock(() => {
      if (options.ifAbsent || options.ifVersion !== undefined) {
        const live = this.liveMeta(record.key, options.notBefore);
        if (
          (options.ifAbsent && live) ||
          (options.ifVersion !== undefined && live?.version !== options.ifVersion)
        ) {
          return conflict(live?.version);
        }
      }
      const version = this.putLocked(record);
      const { maxEntries } = options;
      if (maxEntries !== undefined && this.log.index.size > maxEntries) this.pruneLocked({ maxEntries });
      return version;
    });
  }

  async putMany(records: PutRecord[]): Promise<void> {
    await this.withLock(() => {
      for (const r of records) this.putLocked(r);
    });
  }

  /** Resolves whether a live entry existed (an expired one is removed too, and reported as absent). */
  async delete(key: string, options: DeleteOptions): Promise<boolean | Conflict> {
    const { ifVersion, notBefore } = options;
    if (!(await this.ensureLoaded())) return ifVersion === undefined ? false : conflict(undefined);
    return this.withLock(() => {
      let meta = this.log.index.get(key);
      if (ifVersion !== undefined) {
        const live = this.liveMeta(key, notBefore);
        if (live?.version !== ifVersion) return conflict(live?.version);
        meta = live;
      }
      const name = meta?.name ?? encodeKey(key).name;
      const existed = this.discard(name);
      if (meta || existed) this.forget(key);
      if (existed && isLongName(name)) this.longKeys.remove(name);
      return existed && (meta === undefined || isLive(meta, notBefore));
    });
  }

  async prune(query: PruneQuery): Promise<number> {
    if (!(await this.ensureLoaded())) return 0;
    return this.withLock(() => this.pruneLocked(query));
  }

  /** Empties the trash, fsyncs the log (policy), releases files; the files and the log stay. */
  close(): void {
    try {
      this.trash.close();
    } catch (error) {
      this.warnOnce("trash", `file: could not empty ${this.layout.trashDir}: ${(error as Error).message}`);
    }
    try {
      this.log.flushToDisk();
    } finally {
      this.log.closeFd();
      this.watch.closeFd();
      this.lock?.dispose();
      this.lock = undefined;
      this.log.reset();
    }
  }

  // ── the locked section ───────────────────────────────────────────────────────────────────────────

  private async withLock<T>(fn: () => T): Promise<T> {
    // Before the lock file is made: neither the lock nor anything after it may land outside the root.
    this.checkDirectories(true);
    this.lock ??= new DirLock(this.layout.metaDir, {
      staleMs: this.options.lockStaleMs,
      onBreak: (holder) => {
        this.needsSweep = true;
        this.warnOnce(`break:${holder}`, `file: removed a stale lock of ${holder} in ${this.layout.metaDir}`);
      },
    });
    const lock = this.lock;
    if (!tryAcquireLock(lock, this.remake)) await waitForLock(lock, this.options.lockTimeoutMs, this.remake);
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

  /** The directories vanished (removed by hand) between the check and the lock: make them again. */
  private readonly remake = () => {
    this.dirId = undefined;
    this.checkDirectories(true);
  };

  /**
   * Every level from the root to the value directory, and `.meta`, is a real directory: created when
   * `create`, checked again only when either was replaced. False when the value directory is missing.
   */
  private checkDirectories(create: boolean): boolean {
    const { dir, metaDir } = this.layout;
    if (isSameDirectory(dir, this.dirId) && isSameDirectory(metaDir, this.metaId)) return true;
    const fsync = this.options.fsync;
    this.dirId = realDirectory(this.options.root, dir, { create, fsync });
    if (!this.dirId) return false;
    this.metaId = realDirectory(dir, metaDir, { create, fsync });
    this.trash.forgetChecks();
    this.longKeys.forgetChecks();
    return true;
  }

  /** Under the lock, before the change: the index is current and matches the directory. */
  private prepare(): void {
    if (!this.log.sync(true)) this.rebuild();
    if (this.needsSweep) {
      this.needsSweep = false;
      sweepMeta(this.layout.metaDir, this.trash);
    }
    if (this.watch.mtime() !== this.log.expectedDirMtime || this.log.needsReconcile) this.reconcile();
  }

  /** Records what the change did (also when it failed half-way: then the original error wins), unlocks. */
  private finish(lock: DirLock, failed: boolean): void {
    try {
      this.flush();
      if (!failed && this.log.wantsCompaction) this.log.writeSnapshot(this.watch.mtime() ?? 0);
    } catch (error) {
      if (!failed) throw error;
    } finally {
      this.changes = [];
      this.dirChanged = false;
      lock.release();
      this.trash.scheduleDrain();
    }
  }

  /** Appends what the change did, in one write, with the directory's mtime after it. */
  private flush(): void {
    if (this.changes.length === 0 && !this.dirChanged) return;
    let dirMtime: number | undefined;
    if (this.dirChanged) {
      if (this.options.fsync) this.watch.fsync();
      dirMtime = this.watch.mtime();
    }
    let text = "";
    const last = this.changes.length - 1;
    for (let i = 0; i <= last; i++) {
      const c = this.changes[i] as Change;
      const d = i === last ? dirMtime : undefined;
      text += "put" in c ? putLine(c.put, d) : deleteLine(c.del, c.version, d);
    }
    if (last < 0 && dirMtime !== undefined) text = dirLine(dirMtime);
    this.log.append(text, this.changes.length || 1);
    if (dirMtime !== undefined) this.log.expectedDirMtime = dirMtime;
  }

  private putLocked(record: PutRecord): number {
    const index = this.log.index;
    const prev = index.get(record.key);
    const { name, long } = prev ? { name: prev.name, long: isLongName(prev.name) } : encodeKey(record.key);
    const version = nextVersion(prev?.version, this.log.floor, record.version);
    this.ceiling.cover(version);
    if (long) this.longKeys.write(name, record.key);
    const st = this.writeValue(name, record.json, record.updatedAt);
    const meta: EntryMeta = {
      key: record.key,
      name,
      version,
      updatedAt: record.updatedAt,
      createdAt: record.createdAt ?? prev?.createdAt ?? record.updatedAt,
      taskId: record.taskId,
      bytes: st.size,
      mtime: st.mtimeMs,
      ino: st.ino,
    };
    index.set(meta);
    this.changes.push({ put: meta });
    return version;
  }

  /**
   * A temp file beside the value (`.tmp-…`: hidden, never an entry), written, timestamped, fsynced
   * by policy, renamed into place. Same directory, so the rename is atomic and takes no filesystem-
   * wide lock (a rename across directories does, on Linux). A rename replaces a link at the value's
   * name, never what it points to.
   */
  private writeValue(name: string, json: string, updatedAt: string): fs.Stats {
    // One name per instance (writes are serialized by the lock): the same directory slot is reused,
    // instead of a new name hashed into a different block of a large directory on every put.
    const tmp = path.join(this.dir, `${VALUE_TEMP_PREFIX}${this.tempTag}`);
    const fd = fs.openSync(tmp, CREATE_FLAGS, 0o666);
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

  private pruneLocked(limits: PruneQuery): number {
    const index = this.log.index;
    let removed = 0;
    for (let round = 0; round < 4; round++) {
      const excess = limits.maxEntries === undefined ? 0 : index.size - limits.maxEntries;
      const victims: EntryMeta[] = [];
      for (const m of index.oldestFirst()) {
        if (victims.length < excess || (limits.olderThan !== undefined && m.updatedAt < limits.olderThan)) {
          victims.push(m);
        } else {
          break;
        }
      }
      let repaired = false;
      for (const m of victims) {
        const st = fs.lstatSync(path.join(this.dir, m.name), { throwIfNoEntry: false });
        if (st?.isFile() && !matches(m, st)) {
          // Changed by hand since it was written: it is not the old entry any more.
          this.adopt(m.key, m.name, st, m);
          repaired = true;
          continue;
        }
        if (st && this.discard(m.name)) removed++;
        this.forget(m.key);
        if (isLongName(m.name)) this.longKeys.remove(m.name);
      }
      if (!repaired) break;
    }
    return removed;
  }

  /** Moves a value file into the trash (see trash.ts). False when there was no such file. */
  private discard(name: string): boolean {
    if (!this.trash.discard(path.join(this.dir, name))) return false;
    this.dirChanged = true;
    return true;
  }

  /**
   * Under the lock: the entry of `key` as its file is now, for a condition. A file the index does not
   * describe (edited or added by hand) is adopted, a missing one forgotten. Expired entries are absent.
   */
  private liveMeta(key: string, notBefore: string | undefined): EntryMeta | undefined {
    let meta = this.log.index.get(key);
    const name = meta?.name ?? encodeKey(key).name;
    const st = fs.lstatSync(path.join(this.dir, name), { throwIfNoEntry: false });
    if (!st?.isFile()) {
      if (meta) this.forget(key);
      return undefined;
    }
    if (!meta || !matches(meta, st)) meta = this.adopt(key, name, st, meta);
    return isLive(meta, notBefore) ? meta : undefined;
  }

  /**
   * Under the lock: what the file of `key` holds now, with metadata to match. A file the index does
   * not describe is adopted as it is; a missing one is forgotten.
   */
  private settle(key: string, name: string, wantEntry: boolean): StoreEntry | undefined {
    const read = readFileWithStat(path.join(this.dir, name), wantEntry ? "refuse" : "absent");
    if (!read) {
      if (this.log.index.get(key)) this.forget(key);
      return undefined;
    }
    let meta = this.log.index.get(key);
    if (!meta || !matches(meta, read.st)) meta = this.adopt(key, name, read.st, meta);
    return wantEntry ? this.toEntry(meta, read.text) : undefined;
  }

  /**
   * Takes a file as it is: updated_at is its mtime; created_at is kept; task_id is unknown; a new
   * version, since someone wrote it.
   */
  private adopt(key: string, name: string, st: fs.Stats, prev?: EntryMeta): EntryMeta {
    const updatedAt = new Date(Math.round(st.mtimeMs)).toISOString();
    const createdAt = prev && prev.createdAt <= updatedAt ? prev.createdAt : updatedAt;
    const version = nextVersion(prev?.version, this.log.floor);
    this.ceiling.cover(version);
    const meta: EntryMeta = {
      key,
      name,
      version,
      updatedAt,
      createdAt,
      taskId: "",
      bytes: st.size,
      mtime: st.mtimeMs,
      ino: st.ino,
    };
    this.log.index.set(meta);
    this.changes.push({ put: meta });
    return meta;
  }

  /** The entry is gone; its version joins the floor, so a re-created key never repeats it. */
  private forget(key: string): void {
    const removed = this.log.index.delete(key);
    if (removed) this.log.floor = Math.max(this.log.floor, removed.version);
    this.changes.push({ del: key, version: removed?.version });
  }

  // ── loading and repair ───────────────────────────────────────────────────────────────────────────

  /** Loads the index for a read. False when there is no store here yet. */
  private async ensureLoaded(): Promise<boolean> {
    if (this.log.loaded) return true;
    if (!this.checkDirectories(false)) return false;
    if (this.log.sync(false)) return true;
    // Value files without an index (deleted, or files put there by hand): build it, under the lock.
    await this.withLock(() => {});
    return true;
  }

  /**
   * No log (first write, or deleted to force a rebuild): index the files there are and write a log.
   * Versions start above the ceiling (version-ceiling.ts), so none handed out before is repeated.
   */
  private rebuild(): void {
    this.log.reset();
    this.log.floor = this.ceiling.read();
    const adopted = scanDirectory(this.scanTarget);
    if (adopted > 0) {
      this.options.warn(
        `file: rebuilt the index of ${this.dir} from its ${adopted} file(s): task ids are unknown, updated_at is each file's mtime, versions start above ${this.log.floor}`,
      );
    }
    this.changes = [];
    this.log.writeSnapshot(this.watch.mtime() ?? 0);
  }

  /** Files added or removed behind the index's back (see reconcile.ts). */
  private reconcile(): void {
    scanDirectory(this.scanTarget);
    this.log.needsReconcile = false;
    this.dirChanged = true; // record the directory's mtime as now seen
  }

  // ── helpers ──────────────────────────────────────────────────────────────────────────────────────

  private toEntry(meta: EntryMeta, text: string): StoreEntry {
    let value: StoreEntry["value"];
    try {
      value = JSON.parse(text);
    } catch (error) {
      const file = path.join(this.dir, meta.name);
      throw errors.error(
        "BACKEND_IO",
        `the file ${file} of key ${JSON.stringify(meta.key)} does not hold JSON (edited by hand?): ${(error as Error).message}`,
        { cause: error, details: { key: meta.key, path: file } },
      );
    }
    return {
      key: meta.key,
      value,
      createdAt: meta.createdAt,
      updatedAt: meta.updatedAt,
      taskId: meta.taskId,
      version: meta.version,
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

function isLive(entry: { updatedAt: string }, notBefore: string | undefined): boolean {
  return notBefore === undefined || entry.updatedAt >= notBefore;
}
