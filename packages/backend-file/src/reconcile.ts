import fs from "node:fs";
import path from "node:path";
import { isValidKey } from "@store/core/backend";
import type { EntryIndex, EntryMeta } from "./entry-index";
import { fsyncDirectory, isAbsent, openNoFollow } from "./fs-utils";
import { decodeFileName, encodeKey, isLongName } from "./key-encoding";
import type { LongKeys } from "./long-keys";
import type { OpenFiles } from "./open-files";
import { isValueTempFile, removeFile } from "./sweep";

/**
 * Hand edits. The files are the truth for which entries exist and what their values are; the index
 * is the truth for their metadata as long as a file's size, mtime and inode are the ones it recorded.
 * Files added, removed or renamed by hand change the value directory's mtime (watched here); the next
 * locked operation then lists the directory and adopts or forgets what changed (`scanDirectory`).
 */

const DIR_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_DIRECTORY ?? 0);

/** The value directory's mtime, by fstat of an fd held open: cheaper than a path lookup on every op. */
export class DirectoryWatch {
  private fd = -1;
  private canOpenDirs = true;

  constructor(
    private readonly dir: string,
    private readonly openFiles: OpenFiles<{ closeFd(): void }>,
  ) {}

  /** The directory's mtime (ms), or undefined when it does not exist. */
  mtime(): number | undefined {
    if (this.fd !== -1) {
      const st = fs.fstatSync(this.fd);
      if (st.nlink > 0) {
        this.openFiles.touch(this);
        return st.mtimeMs;
      }
      // Removed (and maybe made again) by hand: look the path up again.
      this.closeFd();
    }
    if (!this.canOpenDirs) return fs.lstatSync(this.dir, { throwIfNoEntry: false })?.mtimeMs;
    let fd: number | undefined;
    try {
      fd = openNoFollow(this.dir, DIR_FLAGS, "open the directory");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EISDIR" && process.platform !== "win32") throw error;
      // Windows cannot open a directory as a file: use a path lookup each time there.
      this.canOpenDirs = false;
      return fs.lstatSync(this.dir, { throwIfNoEntry: false })?.mtimeMs;
    }
    if (fd === undefined) return undefined;
    this.fd = fd;
    this.openFiles.add(this);
    return fs.fstatSync(fd).mtimeMs;
  }

  /** Makes the directory's entries durable (after renames into or out of it). */
  fsync(): void {
    fsyncDirectory(this.dir, this.fd);
  }

  closeFd(): void {
    this.openFiles.delete(this);
    if (this.fd === -1) return;
    const fd = this.fd;
    this.fd = -1;
    fs.closeSync(fd);
  }
}

export interface ScanTarget {
  dir: string;
  index: EntryIndex;
  longKeys: LongKeys;
  /** Takes a file as it is, as the entry of `key`. */
  adopt(key: string, name: string, st: fs.Stats): void;
  /** The file of `key` is gone. */
  forget(key: string): void;
  warnOnce(id: string, message: string): void;
}

/**
 * Under the lock: lists the value directory, adopts the files the index does not know, forgets the
 * entries whose file is gone, and removes value temp files of writers that died. Known files are not
 * stat'ed here; a changed one is noticed when it is read. Returns how many files were adopted.
 */
export function scanDirectory(t: ScanTarget): number {
  let names: string[];
  try {
    names = fs.readdirSync(t.dir);
  } catch (error) {
    if (!isAbsent(error)) throw error;
    names = [];
  }
  const longNames = new Map<string, EntryMeta>();
  for (const m of t.index.values()) if (isLongName(m.name)) longNames.set(m.name, m);
  const seen = new Set<string>();
  let adopted = 0;
  for (const name of names) {
    if (name.startsWith(".")) {
      // We hold the lock: no one else is writing a value now.
      if (isValueTempFile(name)) removeFile(path.join(t.dir, name));
      continue;
    }
    const key = keyOfName(t, name, longNames);
    if (key === undefined) continue;
    seen.add(key);
    if (t.index.get(key)) continue;
    const st = fs.lstatSync(path.join(t.dir, name), { throwIfNoEntry: false });
    if (!st) continue;
    if (!st.isFile()) {
      // A link is never followed (it could lead anywhere); a directory or a device is no value.
      t.warnOnce(
        `not-file:${name}`,
        `file: ignoring ${path.join(t.dir, name)}: not a regular file${st.isSymbolicLink() ? " (a symbolic link)" : ""}`,
      );
      continue;
    }
    t.adopt(key, name, st);
    adopted++;
  }
  const missing: string[] = [];
  for (const m of t.index.values()) if (!seen.has(m.key)) missing.push(m.key);
  for (const key of missing) t.forget(key);
  return adopted;
}

/** The key of a file in the directory, or undefined for files that are not entries. */
function keyOfName(t: ScanTarget, name: string, longNames: Map<string, EntryMeta>): string | undefined {
  if (isLongName(name)) {
    const known = longNames.get(name);
    if (known) return known.key;
    const key = t.longKeys.read(name);
    if (key !== undefined && encodeKey(key).name === name) return key;
    t.warnOnce(
      `long:${name}`,
      `file: ignoring ${path.join(t.dir, name)}: its key is not recorded in .meta/keys`,
    );
    return undefined;
  }
  const key = decodeFileName(name);
  if (key !== undefined && encodeKey(key).name === name && isValidKey(key)) return key;
  const hint =
    key !== undefined && isValidKey(key)
      ? ` (the key ${JSON.stringify(key)} is stored as ${encodeKey(key).name})`
      : "";
  t.warnOnce(`name:${name}`, `file: ignoring ${path.join(t.dir, name)}: not the file name of a key${hint}`);
  return undefined;
}
