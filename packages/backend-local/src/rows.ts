import type { JsonValue, StoreEntry, StoreRef } from "@store/core/backend";
import { errors } from "./errors";
import { decodeKey } from "./key-encoding";
import { fromMillis } from "./timestamps";

/** A listed row (raw mode: an array, no per-row object with column names). */
export type ListRow = [
  key: string,
  value: string,
  createdAt: number,
  updatedAt: number,
  taskId: string,
  version: number,
];
export type GetRow = [value: string, createdAt: number, updatedAt: number, taskId: string, version: number];

/** A stored value, read back; text that is not JSON was changed outside the backend. */
export function parseStored(json: string, ref: StoreRef, key: string): JsonValue {
  try {
    return JSON.parse(json) as JsonValue;
  } catch (error) {
    throw errors.error(
      "BACKEND_IO",
      `the stored value of key ${JSON.stringify(key)} in store "${ref.store}" is not valid JSON (the database was changed outside the backend): ${(error as Error).message}`,
      { cause: error, details: { store: ref.store, project: ref.project, key } },
    );
  }
}

export function toEntry(row: ListRow, ref: StoreRef): StoreEntry {
  const updatedAt = fromMillis(row[3]);
  const key = decodeKey(row[0]);
  return {
    key,
    value: parseStored(row[1], ref, key),
    // An entry written once has one time: format it once.
    createdAt: row[2] === row[3] ? updatedAt : fromMillis(row[2]),
    updatedAt,
    taskId: row[4],
    version: row[5],
  };
}
