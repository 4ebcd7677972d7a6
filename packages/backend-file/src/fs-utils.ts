import fs from "node:fs";
import { linkRefused } from "./errors";

/** One file read whole, with the stat of the very file read (not of whatever the path names later). */
export interface FileRead {
  text: string;
  st: fs.Stats;
}

/** Refuses a symbolic link as the last component of a path (0 where the platform has no such flag). */
const O_NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;
/** A FIFO planted where a value file belongs must not block the reader. No effect on regular files. */
const O_NONBLOCK = fs.constants.O_NONBLOCK ?? 0;
export const READ_FLAGS = fs.constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK;
export const APPEND_FLAGS = fs.constants.O_RDWR | fs.constants.O_APPEND | O_NOFOLLOW;
/** Created here and nowhere else: fails on anything already at the path, a link included. */
export const CREATE_FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | O_NOFOLLOW;

const SMALL = 64 * 1024;
const scratch = Buffer.allocUnsafe(SMALL);

export function isAbsent(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/** open(2) with O_NOFOLLOW reports a link as ELOOP (Linux, macOS) or EMLINK (FreeBSD). */
function isLink(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ELOOP" || code === "EMLINK";
}

function isLinkRefusal(error: unknown): boolean {
  return (error as { details?: { link?: unknown } } | null)?.details?.link === true;
}

/**
 * Opens `file` without following a link there: a link is refused with BACKEND_IO naming it.
 * `undefined` when nothing is there.
 */
export function openNoFollow(file: string, flags: number, doing: string): number | undefined {
  try {
    return fs.openSync(file, flags);
  } catch (error) {
    if (isAbsent(error)) return undefined;
    if (isLink(error)) throw linkRefused(file, doing);
    throw error;
  }
}

/**
 * Reads a small file synchronously: open, fstat, read, close, the same calls readFileSync makes, and
 * about 40× faster than fs.promises.readFile for a 200-byte file. `undefined` when it does not exist
 * or is not a regular file. A symbolic link is never followed: refused, or with `links: "absent"`
 * taken as no file.
 */
export function readFileWithStat(file: string, links: "refuse" | "absent" = "refuse"): FileRead | undefined {
  let fd: number | undefined;
  try {
    fd = openNoFollow(file, READ_FLAGS, "read");
  } catch (error) {
    if (links === "absent" && isLinkRefusal(error)) return undefined;
    throw error;
  }
  if (fd === undefined) return undefined;
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return undefined;
    const size = st.size;
    const buf = size <= SMALL ? scratch : Buffer.allocUnsafe(size);
    let n = 0;
    while (n < size) {
      const got = fs.readSync(fd, buf, n, size - n, n);
      if (got === 0) break;
      n += got;
    }
    return { text: buf.toString("utf8", 0, n), st };
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads `length` bytes at `position` (the tail of a log). */
export function readRange(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let n = 0;
  while (n < length) {
    const got = fs.readSync(fd, buf, n, length - n, position + n);
    if (got === 0) break;
    n += got;
  }
  return n === length ? buf : buf.subarray(0, n);
}

/** Writes all of `data` and returns its length in bytes (a short write is continued, never ignored). */
export function writeAll(fd: number, data: string): number {
  const written = fs.writeSync(fd, data);
  if (written === Buffer.byteLength(data, "utf8")) return written;
  const buf = Buffer.from(data, "utf8");
  let n = written;
  while (n < buf.length) n += fs.writeSync(fd, buf, n, buf.length - n);
  return n;
}

/**
 * Writes a small file atomically: a new temp file (never one that exists, never through a link),
 * fsynced by policy, renamed over `target`. A rename replaces a link at `target`, never its target.
 */
export function replaceFile(tmp: string, target: string, data: string, fsync: boolean): void {
  const fd = fs.openSync(tmp, CREATE_FLAGS, 0o666);
  try {
    try {
      writeAll(fd, data);
      if (fsync) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
  } catch (error) {
    fs.rmSync(tmp, { force: true });
    throw error;
  }
}

/** Makes a directory's entries (a rename, an unlink) durable. Not possible on Windows: skipped there. */
export function fsyncDirectory(dir: string, openFd = -1): void {
  let fd = openFd;
  if (fd === -1) {
    try {
      fd = fs.openSync(dir, fs.constants.O_RDONLY | O_NOFOLLOW);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EISDIR" || process.platform === "win32") return;
      throw error;
    }
  }
  try {
    fs.fsyncSync(fd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EINVAL" && code !== "EPERM" && code !== "EBADF") throw error;
  } finally {
    if (openFd === -1) fs.closeSync(fd);
  }
}
