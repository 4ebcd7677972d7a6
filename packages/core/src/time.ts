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
  if (typeof value !== "string" || !TIMESTAMP.test(value)) return false;
  // Date.parse rolls 2026-02-30 over into March: only a round trip proves the date exists.
  const ms = Date.parse(value);
  return !Number.isNaN(ms) && toTimestamp(ms) === value;
}

/** RFC 3339 date-time: date, `T`, time with optional fraction, and `Z` or a numeric offset. */
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * Accepts any RFC 3339 time (e.g. from an import) and returns it in the canonical format. Impossible
 * dates and times (February 30, hour 24, offset +25:00) are refused, never rolled over into a valid
 * one the way `Date.parse` does.
 */
export function normalizeTimestamp(value: unknown, field: string): string {
  if (isTimestamp(value)) return value;
  const m = typeof value === "string" ? RFC3339.exec(value) : null;
  const [y, mo, d, h, mi, s, fraction = "", zulu, sign, oh, om] = m ? m.slice(1) : [];
  const n = (x: string | undefined) => Number(x);
  const valid =
    m !== null &&
    n(mo) >= 1 &&
    n(mo) <= 12 &&
    n(d) >= 1 &&
    n(d) <= daysInMonth(n(y), n(mo)) &&
    n(h) <= 23 &&
    n(mi) <= 59 &&
    n(s) <= 59 &&
    (zulu !== undefined || (n(oh) <= 23 && n(om) <= 59));
  if (!valid) {
    throw new StoreError(
      "INVALID_ARGUMENT",
      `invalid ${field} ${JSON.stringify(value)}: expected an RFC 3339 timestamp such as 2026-11-26T08:40:00.123Z`,
      { details: { field } },
    );
  }
  const ms = Number(fraction.slice(0, 3).padEnd(3, "0"));
  const offsetMinutes = zulu === undefined ? (sign === "-" ? -1 : 1) * (n(oh) * 60 + n(om)) : 0;
  const utc = Date.UTC(n(y), n(mo) - 1, n(d), n(h), n(mi), n(s), ms) - offsetMinutes * 60_000;
  return toTimestamp(utc);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

export const DAY_MS = 86_400_000;
