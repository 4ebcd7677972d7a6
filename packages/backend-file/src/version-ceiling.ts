import fs from "node:fs";
import { fsyncDirectory, openNoFollow, READ_FLAGS, replaceFile } from "./fs-utils";

/** Versions are reserved this many at a time, so the ceiling is rewritten once per this many. */
const RESERVE = 1 << 20;

/**
 * `.meta/versions` holds a number at least as large as every version ever written in the directory:
 * before a version above it is handed out, it is raised by a million at once. The index log is the
 * record of versions; this file is what survives when the log is lost (deleted by hand to force a
 * rebuild): the rebuilt index starts its floor here, so no version handed out before is repeated.
 */
export class VersionCeiling {
  /** What this process last read or wrote; the file never goes below it. */
  private known = 0;

  constructor(
    private readonly file: string,
    private readonly metaDir: string,
    private readonly tempFile: () => string,
    private readonly fsync: boolean,
  ) {}

  /** Under the lock, before `version` is written: raises the ceiling above it when needed. */
  cover(version: number): void {
    if (version <= this.known) return;
    this.known = Math.max(this.known, this.read());
    if (version <= this.known) return;
    const ceiling = Math.min(version + RESERVE, Number.MAX_SAFE_INTEGER);
    replaceFile(this.tempFile(), this.file, String(ceiling), this.fsync);
    if (this.fsync) fsyncDirectory(this.metaDir);
    this.known = ceiling;
  }

  /** The ceiling on disk; 0 when there is none (a new store, or one written by 0.1.0). */
  read(): number {
    const fd = openNoFollow(this.file, READ_FLAGS, "read the version ceiling");
    if (fd === undefined) return 0;
    try {
      const n = Number(fs.readFileSync(fd, "utf8").trim());
      return Number.isSafeInteger(n) && n > 0 ? n : 0;
    } finally {
      fs.closeSync(fd);
    }
  }
}
