import { StoreError } from "@store/core";

/** The prefix of every message, so a user knows which backend failed. */
export const PREFIX = "local:";

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

/** A SQLite (or file system) failure as BACKEND_IO, naming what was being done, keeping the cause. */
export function ioError(error: unknown, doing: string, details: Record<string, unknown> = {}): StoreError {
  if (StoreError.isInstance(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  const code = sqliteCode(error);
  return new StoreError("BACKEND_IO", `${PREFIX} ${doing} failed: ${reason}${code ? ` (${code})` : ""}`, {
    cause: error,
    details: code ? { ...details, sqliteCode: code } : details,
  });
}
