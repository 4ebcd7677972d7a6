import { backendErrors, type StoreError, type StoreRef } from "@store/core/backend";
import { LOCAL_BACKEND_NAME } from "./options";

/** Every error of this backend starts with `local: `. */
export const errors = backendErrors(LOCAL_BACKEND_NAME);

/** SQLite's extended result code (`SQLITE_BUSY_SNAPSHOT`…), as better-sqlite3 puts it on its errors. */
export function sqliteCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_") ? code : undefined;
}

/** Lock contention that is worth retrying while the database is being opened and set up. */
export function isBusy(error: unknown): boolean {
  const code = sqliteCode(error);
  return code !== undefined && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"));
}

/**
 * A failed SQLite (or file system) call as BACKEND_IO, naming what was being done and where, with
 * SQLite's extended code in `details.sqliteCode`.
 */
export function ioError(
  cause: unknown,
  doing: string,
  target: { ref?: StoreRef; key?: string; details?: Record<string, unknown> } = {},
): StoreError {
  const code = sqliteCode(cause);
  return errors.io(cause, doing, {
    ...target,
    details: { ...target.details, ...(code ? { sqliteCode: code } : {}) },
  });
}

/** `get of key "k" in store "s" (project "p")`, for CLOSED errors (which carry no target of their own). */
export function describeOp(doing: string, ref: StoreRef, key?: string): string {
  const project = ref.project === "" ? "" : ` (project "${ref.project}")`;
  return `${doing} of ${key === undefined ? "" : `key ${JSON.stringify(key)} in `}store "${ref.store}"${project}`;
}
