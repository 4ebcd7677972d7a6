import { StoreError } from "./errors";

let cachedSecond = Number.NaN;
let cachedPrefix = "";

/** Epoch milliseconds → `2026-11-26T08:40:00.123Z`, the one timestamp format of every backend. */
export function toTimestamp(ms: number): string {
  // toISOString costs about half a microsecond; every put needs one, and most fall in the same second.
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond || !Number.isSafeInteger(ms)) {
    const iso = new Date(ms).toISOString();
    if (!Number.isSafeInteger(ms)) return iso;
    cachedSecond = second;
    cachedPrefix = iso.slice(0, 20);
  }
  const milli = ms - second * 1000;
  return `${cachedPrefix}${milli < 10 ? "00" : milli < 100 ? "0" : ""}${milli}Z`;
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** True for timestamps in the canonical format; these compare correctly as strings. */
export function isTimestamp(value: unknown): value is string {
  return typeof value === "string" && TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value));
}

/** Accepts any RFC 3339 time (e.g. from an import) and returns it in the canonical format. */
export function normalizeTimestamp(value: unknown, field: string): string {
  if (isTimestamp(value)) return value;
  const ms = typeof value === "string" && /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new StoreError(
      "INVALID_ARGUMENT",
      `invalid ${field} ${JSON.stringify(value)}: expected an RFC 3339 timestamp`,
      {
        details: { field },
      },
    );
  }
  return toTimestamp(ms);
}

export const DAY_MS = 86_400_000;
