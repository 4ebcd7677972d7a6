import type { StoreEntry } from "@store/core/backend";

/** A row of the read statements: key, value, created_at, updated_at, task_id, version. */
export type EntryRow = [string, string, string, string, string, string];

export function toEntry(row: EntryRow): StoreEntry {
  return {
    key: row[0],
    value: JSON.parse(row[1]),
    createdAt: row[2],
    updatedAt: row[3],
    taskId: row[4],
    version: Number(row[5]),
  };
}
