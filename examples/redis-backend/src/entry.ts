import { type JsonValue, quoteStart, type StoreEntry } from "@store/core/backend";
import { errors } from "./errors";

/** The meta hash's field value: `"<version> <createdAt> <updatedAt> <taskId>"` (the task id may hold spaces). */
export function parseMeta(meta: string): Omit<StoreEntry, "key" | "value"> {
  const a = meta.indexOf(" ");
  const b = meta.indexOf(" ", a + 1);
  const c = meta.indexOf(" ", b + 1);
  const version = Number(meta.slice(0, a));
  if (a < 1 || b < 0 || c < 0 || !Number.isSafeInteger(version)) {
    throw errors.error("BACKEND_IO", `unreadable entry metadata ${quoteStart(meta, 80)}`);
  }
  return {
    version,
    createdAt: meta.slice(a + 1, b),
    updatedAt: meta.slice(b + 1, c),
    taskId: meta.slice(c + 1),
  };
}

/** An entry from what the scripts return; a missing half means the keys were edited by hand. */
export function toEntry(
  key: string,
  meta: string | null | undefined,
  json: string | null | undefined,
): StoreEntry {
  if (meta == null || json == null) {
    throw errors.error(
      "BACKEND_IO",
      `key ${JSON.stringify(key)} is listed but its ${meta == null ? "metadata" : "value"} is missing: were its Redis keys changed by hand?`,
    );
  }
  let value: JsonValue;
  try {
    value = JSON.parse(json) as JsonValue;
  } catch {
    throw errors.error(
      "BACKEND_IO",
      `the value of key ${JSON.stringify(key)} is not JSON: ${quoteStart(json, 80)}`,
    );
  }
  return { key, value, ...parseMeta(meta) };
}
