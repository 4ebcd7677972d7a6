import fs from "node:fs";
import path from "node:path";
import { linkRefused, notADirectory } from "./errors";
import { fsyncDirectory } from "./fs-utils";

/** A directory as lstat saw it: another identity at the same path later means it was replaced. */
export interface DirIdentity {
  dev: number;
  ino: number;
}

/**
 * Makes sure every level below `base` down to `dir` is a real directory, not a symbolic link, so
 * nothing the backend writes, reads or deletes there can land outside `base`. Missing levels are
 * created when `create` is set, one at a time (each mkdir happens in a parent just checked), and
 * made durable by policy. `base` itself is trusted: the configured root, or a directory checked
 * before. Returns the identity of `dir`, or `undefined` when a level is missing and `create` is off.
 */
export function realDirectory(
  base: string,
  dir: string,
  options: { create: boolean; fsync: boolean },
): DirIdentity | undefined {
  if (options.create) makeBase(base, options.fsync);
  let current = base;
  let st = fs.statSync(base, { throwIfNoEntry: false });
  if (!st) return undefined;
  for (const part of path.relative(base, dir).split(path.sep)) {
    if (part === "") continue;
    current = path.join(current, part);
    st = fs.lstatSync(current, { throwIfNoEntry: false });
    if (!st) {
      if (!options.create) return undefined;
      st = makeLevel(current, options.fsync);
    }
    if (st.isSymbolicLink()) throw linkRefused(current, "use");
    if (!st.isDirectory()) throw notADirectory(current);
  }
  return { dev: st.dev, ino: st.ino };
}

/** True when `dir` is still the very directory `id` describes (not removed, replaced or linked). */
export function isSameDirectory(dir: string, id: DirIdentity | undefined): boolean {
  if (!id) return false;
  const st = fs.lstatSync(dir, { throwIfNoEntry: false });
  return st?.isDirectory() === true && st.ino === id.ino && st.dev === id.dev;
}

function makeLevel(dir: string, fsync: boolean): fs.Stats {
  try {
    fs.mkdirSync(dir);
  } catch (error) {
    // Made by another process at the same moment: check what is there now.
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return fs.lstatSync(dir);
  }
  if (fsync) fsyncDirectory(path.dirname(dir));
  return fs.lstatSync(dir);
}

/** The root may be missing on first use; it and its parents are the user's, so links there are followed. */
function makeBase(base: string, fsync: boolean): void {
  const created = fs.mkdirSync(base, { recursive: true });
  if (!created || !fsync) return;
  // Make the new directories durable, up to the first one that already existed.
  for (let d = base; ; d = path.dirname(d)) {
    fsyncDirectory(path.dirname(d));
    if (d === created) break;
  }
}
