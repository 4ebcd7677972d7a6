import {
  decodeUtf8,
  isValidKey,
  type JsonValue,
  normalizeTimestamp,
  quoteStart,
  type StoreEntry,
  type StoreError,
} from "@store/core/backend";
import { type OpLabel, providerError } from "./errors";

export type Json = JsonValue;

export function protocolError(label: OpLabel, reason: string, cause?: unknown): StoreError {
  return providerError("PROVIDER_PROTOCOL", label, reason, cause === undefined ? {} : { cause });
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Foreign JSON, quoted for a message: its first bytes, escaped. */
export function quoteJson(value: unknown): string {
  return quoteStart(JSON.stringify(value) ?? String(value));
}

/**
 * An RFC 3339 time from a provider, in core's format (`2026-11-26T08:40:00.123Z`), so it sorts as text.
 * Impossible dates (February 30) are refused, never rolled over.
 */
function timestamp(value: unknown, field: string, label: OpLabel, where: string): string {
  try {
    return normalizeTimestamp(value, field);
  } catch {
    throw protocolError(
      label,
      `${where}: ${field} must be an RFC 3339 timestamp, got ${quoteJson(value ?? null)}`,
    );
  }
}

/** A provider's output as text: invalid UTF-8 is a protocol error, never silently replaced. */
export function decodeOutput(output: Buffer, label: OpLabel): string {
  try {
    return decodeUtf8(output, "output");
  } catch (error) {
    throw protocolError(
      label,
      `the provider's ${(error as Error).message.replace(/^invalid output: /, "output is ")}`,
      error,
    );
  }
}

/**
 * A version a provider reports, or, from a provider that keeps none, the write's time in epoch
 * milliseconds: it grows with the clock, but two writes in one millisecond share it, so such a
 * provider cannot offer conditional writes. 0 when there is no time either (a seed get).
 */
export function version(value: unknown, updatedAt: string, label: OpLabel, where: string): number {
  if (value === undefined || value === null) return updatedAt ? Date.parse(updatedAt) : 0;
  if (typeof value === "number" && Number.isSafeInteger(value) && value > 0) return value;
  throw protocolError(label, `${where}: version must be a positive integer, got ${quoteJson(value)}`);
}

/**
 * One entry as providers print it: `{key, value, updated_at[, created_at][, task_id][, version]}`.
 * `created_at` defaults to `updated_at` and `task_id` to "" for providers that keep neither.
 */
export function parseEntry(raw: unknown, label: OpLabel, where: string): StoreEntry {
  if (!isObject(raw)) throw protocolError(label, `${where} is not an object: ${quoteJson(raw)}`);
  if (typeof raw.key !== "string") throw protocolError(label, `${where} has no string "key"`);
  const key = raw.key;
  // A key core would refuse could never be read or deleted again: refuse it here.
  if (!isValidKey(key)) throw protocolError(label, `${where} has an invalid key ${quoteStart(key)}`);
  if (!("value" in raw)) throw protocolError(label, `${where} (key ${quoteStart(key)}) has no "value"`);
  const updatedAt = timestamp(raw.updated_at, "updated_at", label, where);
  const createdAt =
    raw.created_at === undefined || raw.created_at === ""
      ? updatedAt
      : timestamp(raw.created_at, "created_at", label, where);
  const taskId = raw.task_id ?? "";
  if (typeof taskId !== "string") throw protocolError(label, `${where}: task_id must be a string`);
  return {
    key,
    value: raw.value as Json,
    createdAt,
    updatedAt,
    taskId,
    version: version(raw.version, updatedAt, label, where),
  };
}
