import fs from "node:fs";

/** One file read whole, with the stat of the very file read (not of whatever the path names later). */
export interface FileRead {
  text: string;
  st: fs.Stats;
}

const SMALL = 64 * 1024;
const scratch = Buffer.allocUnsafe(SMALL);

function isAbsent(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/**
 * Reads a small file synchronously: open, fstat, read, close, the same calls readFileSync makes, and
 * about 40× faster than fs.promises.readFile for a 200-byte file. `undefined` when it does not exist.
 */
export function readFileWithStat(file: string): FileRead | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (error) {
    if (isAbsent(error)) return undefined;
    throw error;
  }
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

/** Makes a directory's entries (a rename, an unlink) durable. Not possible on Windows: skipped there. */
export function fsyncDirectory(dir: string, openFd = -1): void {
  let fd = openFd;
  if (fd === -1) {
    try {
      fd = fs.openSync(dir, "r");
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

export { isAbsent };
