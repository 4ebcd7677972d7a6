import fs from "node:fs";
import path from "node:path";
import { isAbsent } from "./fs-utils";
import { realDirectory } from "./real-dirs";

/** How long one background step of emptying the trash may block the event loop. */
const DRAIN_SLICE_MS = 5;
/** The names this backend gives trashed files (`<pid>-<nonce>-<n>`); nothing else there is deleted. */
const TRASHED_NAME = /^\d+-[0-9a-f]+-\d+$/;

/**
 * Deleted value files are moved into `.meta/trash/` (a rename: cheap) and unlinked later, off the
 * caller's path, in slices of at most 5 ms, and whatever is left at close. On some filesystems an
 * unlink costs a millisecond; retention on every put should not.
 */
export class Trash {
  private names: string[] = [];
  private draining: ReturnType<typeof setTimeout> | undefined;
  private checked = false;
  private counter = 0;

  constructor(
    private readonly metaDir: string,
    private readonly trashDir: string,
    /** Unique to this instance, so two processes never trash to the same name. */
    private readonly tag: string,
    private readonly fsync: boolean,
    private readonly warn: (id: string, message: string) => void,
  ) {}

  /** Moves `file` into the trash (under the directory lock). False when there is no such file. */
  discard(file: string): boolean {
    this.ready(true);
    const target = `${this.tag}-${++this.counter}`;
    const move = () => fs.renameSync(file, path.join(this.trashDir, target));
    try {
      move();
    } catch (error) {
      if (!isAbsent(error)) throw error;
      if (!fs.lstatSync(file, { throwIfNoEntry: false })) return false;
      // The file is there: the trash was removed by hand since it was checked.
      this.checked = false;
      this.ready(true);
      move();
    }
    this.names.push(target);
    return true;
  }

  /** Files trashed by processes that ended before emptying it (or are still emptying it: harmless). */
  collectLeftovers(): void {
    if (!this.ready(false)) return;
    for (const name of fs.readdirSync(this.trashDir)) if (TRASHED_NAME.test(name)) this.names.push(name);
  }

  /** Empties the trash in the background, a slice at a time. */
  scheduleDrain(): void {
    if (this.draining || this.names.length === 0) return;
    this.draining = setTimeout(() => {
      this.draining = undefined;
      try {
        this.drain(DRAIN_SLICE_MS);
      } catch (error) {
        this.warn("trash", `file: could not empty ${this.trashDir}: ${(error as Error).message}`);
        return;
      }
      this.scheduleDrain();
    }, 1);
    this.draining.unref?.();
  }

  /** Deletes what is left, now. */
  close(): void {
    if (this.draining) clearTimeout(this.draining);
    this.draining = undefined;
    this.drain(Number.POSITIVE_INFINITY);
  }

  /** `.meta` was made again, or replaced: check `trash/` again before the next use. */
  forgetChecks(): void {
    this.checked = false;
  }

  /** Deletes trashed files for up to `budgetMs`. */
  private drain(budgetMs: number): void {
    const deadline = performance.now() + budgetMs;
    while (this.names.length > 0) {
      const name = this.names[this.names.length - 1] as string;
      try {
        fs.unlinkSync(path.join(this.trashDir, name));
      } catch (error) {
        if (!isAbsent(error)) throw error;
      }
      this.names.pop();
      if (performance.now() >= deadline) return;
    }
  }

  /** `trash/` is a real directory inside `.meta` (made when `create`); false when it does not exist. */
  private ready(create: boolean): boolean {
    if (this.checked) return true;
    this.checked = realDirectory(this.metaDir, this.trashDir, { create, fsync: this.fsync }) !== undefined;
    return this.checked;
  }
}
