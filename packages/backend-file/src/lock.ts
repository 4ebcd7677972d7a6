import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { threadId } from "node:worker_threads";
import { errors } from "./errors";
import { openNoFollow, READ_FLAGS } from "./fs-utils";

/**
 * A lock file per directory, shared by every process and thread that writes there.
 *
 * Each holder first writes an *owner file* once (`owner-<pid>-<nonce>`: its pid, host, thread and a
 * nonce) and takes the lock by hard-linking it to `lock`: link() fails with EEXIST while someone
 * holds it, and costs a fraction of creating and deleting a file with O_EXCL. On filesystems without
 * hard links it falls back to O_EXCL. `lock` therefore always names its holder, and its ctime is the
 * moment it was taken.
 *
 * Critical sections are synchronous (no await between acquire and release), so within one thread a
 * lock is never seen held by a live holder: one left by our own pid and thread is a leftover.
 *
 * A lock is stale when its holder is on this host and its process is gone, or when it is older than
 * `staleMs` (another host, a hung or stopped process, a recycled pid). Breaking it takes a second
 * lock (`lock.break`) and re-checks that `lock` is still the same stale one before removing it, so two
 * breakers never remove a lock that a live process has just taken.
 */
export interface LockOwner {
  pid: number;
  host: string;
  thread: number;
  nonce: string;
}

export interface LockOptions {
  staleMs: number;
  /** Called after a stale lock was removed (its holder may have left temp files behind). */
  onBreak?: (holder: string) => void;
}

const BREAK_STALE_MS = 5_000;
const HOST = os.hostname();
const LINK_UNSUPPORTED = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", "EXDEV", "EMLINK", "EINVAL"]);

export const OWNER_PREFIX = "owner-";

export class DirLock {
  readonly lockPath: string;
  private readonly breakPath: string;
  private readonly owner: LockOwner;
  private readonly ownerPath: string;
  private readonly content: string;
  private ownerIno = -1;
  private heldIno = -1;
  private useLink = true;

  constructor(
    dir: string,
    private readonly options: LockOptions,
  ) {
    this.owner = { pid: process.pid, host: HOST, thread: threadId, nonce: randomBytes(6).toString("hex") };
    this.lockPath = path.join(dir, "lock");
    this.breakPath = path.join(dir, "lock.break");
    this.ownerPath = path.join(dir, `${OWNER_PREFIX}${this.owner.pid}-${this.owner.nonce}`);
    this.content = JSON.stringify(this.owner);
  }

  /** Takes the lock if it is free (or stale); never waits. */
  tryAcquire(): boolean {
    for (let attempt = 0; attempt < 3; attempt++) {
      const ino = this.takeAt(this.lockPath);
      if (ino !== undefined) {
        this.heldIno = ino;
        return true;
      }
      if (!this.breakIfStale()) return false;
    }
    return false;
  }

  release(): void {
    if (this.heldIno === -1) return;
    const ino = this.heldIno;
    this.heldIno = -1;
    // Only remove the lock if it is still ours (it could have been broken while we were stopped).
    const st = fs.lstatSync(this.lockPath, { throwIfNoEntry: false });
    if (st && st.ino === ino) fs.unlinkSync(this.lockPath);
  }

  /** Removes this holder's owner file (on close). */
  dispose(): void {
    this.release();
    if (this.ownerIno !== -1) {
      this.ownerIno = -1;
      fs.rmSync(this.ownerPath, { force: true });
    }
  }

  /** Who holds the lock now, for error messages. */
  describeHolder(): string {
    const info = this.readLock(this.lockPath);
    return info ? describe(info.text) : "nobody";
  }

  /** Links our owner file at `target`; the inode taken, or undefined when `target` exists. */
  private takeAt(target: string): number | undefined {
    if (this.useLink) {
      this.ensureOwnerFile();
      try {
        fs.linkSync(this.ownerPath, target);
        return this.ownerIno;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? "";
        if (code === "EEXIST") return undefined;
        if (code === "ENOENT") {
          // Our owner file was removed by hand: write it again next time.
          this.ownerIno = -1;
          return this.takeAt(target);
        }
        if (!LINK_UNSUPPORTED.has(code)) throw error;
        this.useLink = false;
      }
    }
    let fd: number;
    try {
      fd = fs.openSync(target, "wx");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return undefined;
      throw error;
    }
    try {
      fs.writeSync(fd, this.content);
      return fs.fstatSync(fd).ino;
    } finally {
      fs.closeSync(fd);
    }
  }

  private ensureOwnerFile(): void {
    if (this.ownerIno !== -1) return;
    fs.writeFileSync(this.ownerPath, this.content);
    this.ownerIno = fs.statSync(this.ownerPath).ino;
  }

  /** True when the lock was stale and is now gone (or was already gone): try again at once. */
  private breakIfStale(): boolean {
    const seen = this.readLock(this.lockPath);
    if (!seen) return true;
    if (!this.isStale(seen)) return false;
    const breakIno = this.takeAt(this.breakPath);
    if (breakIno === undefined) {
      // Another breaker is at work; a breaker that died mid-break leaves `lock.break`, cleared by age.
      const other = this.readLock(this.breakPath);
      if (other && Date.now() - other.ctimeMs > BREAK_STALE_MS) fs.rmSync(this.breakPath, { force: true });
      return false;
    }
    try {
      const now = this.readLock(this.lockPath);
      if (!now) return true;
      if (now.ino !== seen.ino || now.ctimeMs !== seen.ctimeMs || now.text !== seen.text) return false;
      fs.unlinkSync(this.lockPath);
      this.options.onBreak?.(describe(seen.text));
      return true;
    } finally {
      const st = fs.lstatSync(this.breakPath, { throwIfNoEntry: false });
      if (st && st.ino === breakIno) fs.unlinkSync(this.breakPath);
    }
  }

  private isStale(seen: { text: string; ctimeMs: number }): boolean {
    const age = Date.now() - seen.ctimeMs;
    let holder: Partial<LockOwner>;
    try {
      holder = JSON.parse(seen.text);
    } catch {
      // An O_EXCL lock between its creation and its first write looks empty for a moment.
      return age > BREAK_STALE_MS;
    }
    if (age > this.options.staleMs) return true;
    if (holder.host !== HOST || typeof holder.pid !== "number") return false;
    if (holder.pid === process.pid) return holder.thread === threadId;
    return !isProcessAlive(holder.pid);
  }

  private readLock(file: string): { text: string; ino: number; ctimeMs: number } | undefined {
    const fd = openNoFollow(file, READ_FLAGS, "read the lock");
    if (fd === undefined) return undefined;
    try {
      const st = fs.fstatSync(fd);
      const buf = Buffer.alloc(Math.min(st.size, 4096));
      const n = st.size === 0 ? 0 : fs.readSync(fd, buf, 0, buf.length, 0);
      return { text: buf.toString("utf8", 0, n), ino: st.ino, ctimeMs: st.ctimeMs };
    } finally {
      fs.closeSync(fd);
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Takes the lock if it is free (or stale). `remake` runs when the lock's directory is missing (removed
 * by hand, or never made), before one more try.
 */
export function tryAcquireLock(lock: DirLock, remake: () => void): boolean {
  try {
    return lock.tryAcquire();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    remake();
    return lock.tryAcquire();
  }
}

/** Waits for the lock with jittered backoff (1 → 8 ms); BACKEND_IO naming the holder after `timeoutMs`. */
export async function waitForLock(lock: DirLock, timeoutMs: number, remake: () => void): Promise<void> {
  const start = Date.now();
  let delay = 1;
  for (;;) {
    await sleep(delay * (0.5 + Math.random()));
    if (tryAcquireLock(lock, remake)) return;
    delay = Math.min(delay * 2, 8);
    if (Date.now() - start > timeoutMs) {
      throw errors.error(
        "BACKEND_IO",
        `timed out after ${timeoutMs} ms waiting for the lock ${lock.lockPath}, held by ${lock.describeHolder()}`,
        { details: { path: lock.lockPath } },
      );
    }
  }
}

/** True when a process with this pid exists on this host (EPERM: it exists, owned by someone else). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The pid in an owner file's name, for sweeping owner files of processes that are gone. */
export function ownerFilePid(name: string): number | undefined {
  const m = /^owner-(\d+)-[0-9a-f]+$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

function describe(text: string): string {
  try {
    const o = JSON.parse(text) as LockOwner;
    return `pid ${o.pid} on ${o.host}${o.thread ? ` (thread ${o.thread})` : ""}`;
  } catch {
    return "an unknown holder";
  }
}
