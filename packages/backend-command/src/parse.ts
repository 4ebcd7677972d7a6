import {
  isTimestamp,
  type JsonValue,
  normalizeTimestamp,
  type StoreEntry,
  type StoreError,
} from "@store/core";
import { type OpLabel, providerError, quoteStart } from "./errors";

type Json = JsonValue;

function protocol(label: OpLabel, reason: string, cause?: unknown): StoreError {
  return providerError("PROVIDER_PROTOCOL", label, reason, cause === undefined ? {} : { cause });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function timestamp(value: unknown, field: string, label: OpLabel, where: string): string {
  if (isTimestamp(value)) return value;
  try {
    return normalizeTimestamp(value, field);
  } catch (error) {
    throw protocol(
      label,
      `${where}: ${field} must be an RFC 3339 timestamp, got ${quoteStart(JSON.stringify(value) ?? "undefined")}`,
      error,
    );
  }
}

/**
 * One entry as providers print it (`{key, value, updated_at[, created_at][, task_id]}`, snake_case).
 * `created_at` defaults to `updated_at` and `task_id` to "" for providers that keep neither.
 */
export function parseEntry(raw: unknown, label: OpLabel, where: string): StoreEntry {
  if (!isObject(raw))
    throw protocol(label, `${where} is not an object: ${quoteStart(JSON.stringify(raw) ?? "")}`);
  if (typeof raw.key !== "string") throw protocol(label, `${where} has no string "key"`);
  if (!("value" in raw)) throw protocol(label, `${where} (key ${JSON.stringify(raw.key)}) has no "value"`);
  const updatedAt = timestamp(raw.updated_at, "updated_at", label, where);
  const createdAt =
    raw.created_at === undefined || raw.created_at === ""
      ? updatedAt
      : timestamp(raw.created_at, "created_at", label, where);
  const taskId = raw.task_id ?? "";
  if (typeof taskId !== "string") throw protocol(label, `${where}: task_id must be a string`);
  return { key: raw.key, value: raw.value as Json, createdAt, updatedAt, taskId };
}

function parseJson(text: string, label: OpLabel, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw protocol(label, `${what} is not valid JSON; it starts with ${quoteStart(text)}`, error);
  }
}

const NON_SPACE = /\S/;

/**
 * v1 get output: the JSON value, or nothing when absent (seed protocol). Extension: a first line
 * holding the entry's metadata `{"updated_at", "created_at"?, "task_id"?}` followed by the value.
 * A seed provider prints exactly one JSON value, so a complete JSON line followed by more output
 * can only be the extension: the two forms never overlap.
 */
export function parseGetOutput(stdout: Buffer, key: string, label: OpLabel): StoreEntry | undefined {
  const text = stdout.toString("utf8");
  if (!NON_SPACE.test(text)) return undefined;
  const newline = text.indexOf("\n");
  if (newline > 0 && newline < text.length - 1 && NON_SPACE.test(text.slice(newline + 1))) {
    let meta: unknown;
    try {
      meta = JSON.parse(text.slice(0, newline));
    } catch {
      meta = undefined;
    }
    if (isObject(meta)) {
      if (meta.key !== undefined && meta.key !== key) {
        throw protocol(
          label,
          `the metadata line names key ${JSON.stringify(meta.key)}, not the key asked for`,
        );
      }
      const value = parseJson(text.slice(newline + 1), label, "the value after the metadata line");
      return parseEntry({ ...meta, key, value }, label, "the metadata line");
    }
  }
  const value = parseJson(text, label, "the output of get") as Json;
  // Seed form: no timestamps. Core skips its TTL check for an empty updatedAt; NOT_BEFORE lets the
  // provider apply TTL itself.
  return { key, value, createdAt: "", updatedAt: "", taskId: "" };
}

/** v1 list output: a JSON array of entries; anything beyond `limit` is dropped. */
export function parseListOutput(stdout: Buffer, limit: number, label: OpLabel): StoreEntry[] {
  const text = stdout.toString("utf8");
  if (!NON_SPACE.test(text))
    throw protocol(label, "list printed nothing; expected a JSON array (`[]` when empty)");
  const raw = parseJson(text, label, "the output of list");
  if (!Array.isArray(raw))
    throw protocol(label, `list must print a JSON array; it printed ${quoteStart(text)}`);
  const count = Math.min(raw.length, limit);
  const entries: StoreEntry[] = new Array(count);
  for (let i = 0; i < count; i++) entries[i] = parseEntry(raw[i], label, `list entry ${i}`);
  return entries;
}

/** v1 delete output: nothing (existence unknown, reported as true) or `{"existed": bool}`. */
export function parseDeleteOutput(stdout: Buffer, label: OpLabel): boolean {
  const text = stdout.toString("utf8");
  if (!NON_SPACE.test(text)) return true;
  const raw = parseJson(text, label, "the output of delete");
  if (typeof raw === "boolean") return raw;
  if (isObject(raw) && typeof raw.existed === "boolean") return raw.existed;
  throw protocol(
    label,
    `delete may print nothing or {"existed": true|false}; it printed ${quoteStart(text)}`,
  );
}

/** v1 prune output: nothing (0 reported) or `{"removed": N}`. */
export function parsePruneOutput(stdout: Buffer, label: OpLabel): number {
  const text = stdout.toString("utf8");
  if (!NON_SPACE.test(text)) return 0;
  const raw = parseJson(text, label, "the output of prune");
  const removed = isObject(raw) ? raw.removed : raw;
  if (typeof removed === "number" && Number.isInteger(removed) && removed >= 0) return removed;
  throw protocol(label, `prune may print nothing or {"removed": N}; it printed ${quoteStart(text)}`);
}
