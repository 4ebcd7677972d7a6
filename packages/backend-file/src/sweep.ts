import fs from "node:fs";
import path from "node:path";
import { isAbsent } from "./fs-utils";
import { META_TEMP_PREFIX, TRASH_DIR, VALUE_TEMP_PREFIX } from "./layout";
import { isProcessAlive, OWNER_PREFIX, ownerFilePid } from "./lock";
import type { Trash } from "./trash";

/**
 * Under the lock, at a process's first write and after a stale lock was broken: removes what writers
 * that died left in `.meta/` (temp files: none can be in use while we hold the lock; owner files of
 * pids that are gone) and collects the trash they did not empty.
 */
export function sweepMeta(metaDir: string, trash: Trash): void {
  let names: string[];
  try {
    names = fs.readdirSync(metaDir);
  } catch (error) {
    if (isAbsent(error)) return;
    throw error;
  }
  for (const name of names) {
    if (name === TRASH_DIR) {
      trash.collectLeftovers();
    } else if (name.startsWith(META_TEMP_PREFIX)) {
      removeFile(path.join(metaDir, name));
    } else if (name.startsWith(OWNER_PREFIX)) {
      const pid = ownerFilePid(name);
      if (pid !== undefined && pid !== process.pid && !isProcessAlive(pid))
        removeFile(path.join(metaDir, name));
    }
  }
}

/** A value write's temp file, left in the value directory by a writer that died. */
export function isValueTempFile(name: string): boolean {
  return name.startsWith(VALUE_TEMP_PREFIX);
}

/** Removes a file or a link (never what a link points to); leaves a directory of that name alone. */
export function removeFile(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!isAbsent(error) && code !== "EISDIR" && code !== "EPERM") throw error;
  }
}
