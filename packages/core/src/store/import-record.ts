import type { PutRecord } from "../contract/types";
import { StoreError } from "../errors";
import { normalizeTimestamp } from "../time";
import type { JsonValue } from "../types";
import { validateVersion } from "../validate";

/** An entry as export writes it and import reads it (timestamps, task id and version optional). */
export interface ImportEntry {
  key: string;
  value: JsonValue;
  updatedAt?: string;
  createdAt?: string;
  taskId?: string;
  /** The version it had where it was exported; the stored version never goes below it. */
  version?: number;
}

/**
 * One import entry as a record: validated and schema-checked by `prepare` like a put, then given its
 * own timestamps and version. Errors name the entry's position in the input.
 */
export function importRecord(
  item: ImportEntry,
  index: number,
  prepare: (key: unknown, value: unknown, taskId: unknown, updatedAt?: string) => PutRecord,
): PutRecord {
  if (typeof item !== "object" || item === null || !("value" in item)) {
    throw new StoreError(
      "INVALID_ARGUMENT",
      `import entry ${index}: expected an object with "key" and "value"`,
      {
        details: { index },
      },
    );
  }
  try {
    // The entry's own time, when it has one; core's clock otherwise.
    const updatedAt =
      item.updatedAt === undefined ? undefined : normalizeTimestamp(item.updatedAt, "updated_at");
    const record = prepare(item.key, item.value, item.taskId, updatedAt);
    record.createdAt =
      item.createdAt === undefined ? record.updatedAt : normalizeTimestamp(item.createdAt, "created_at");
    if (item.version !== undefined) record.version = validateVersion("version", item.version);
    return record;
  } catch (error) {
    if (StoreError.isInstance(error)) {
      error.message = `import entry ${index}: ${error.message}`;
      error.details.index = index;
    }
    throw error;
  }
}
