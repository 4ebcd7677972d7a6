import { StoreError } from "./errors";

/** Epoch milliseconds → `2026-11-26T08:40:00.123Z`, the one timestamp format of every backend. */
export function toTimestamp(ms: number): string {
  return new Date(ms).toISOString();
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
