/**
 * Timestamps are stored as integer epoch milliseconds: 8 bytes or less in the row and the recency
 * index, compared as integers. Core hands them over (and takes them back) as RFC 3339 UTC with
 * milliseconds, `2026-11-26T08:40:00.123Z`; for years 0000–9999, which is all core accepts, the
 * conversion is exact both ways.
 */

const DAY_MS = 86_400_000;
/** Years 0000–9999: the range where `toISOString` gives 24 characters. */
const FIRST_MS = -62_167_219_200_000;
const LAST_MS = 253_402_300_799_999;

/** Binds as "no TTL": every stored time is at least this, so one statement serves both cases. */
export const NO_CUTOFF = Number.MIN_SAFE_INTEGER;

export function toMillis(timestamp: string): number {
  return Date.parse(timestamp);
}

/** `notBefore` as bound into the statements. */
export function cutoff(notBefore: string | undefined): number {
  return notBefore === undefined ? NO_CUTOFF : Date.parse(notBefore);
}

const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0"));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));
let cachedDay = Number.NaN;
let cachedDayPrefix = "";

/**
 * Epoch ms → `2026-11-26T08:40:00.123Z`, exactly what `toISOString` gives, about 4× faster: a list
 * page formats up to two per entry, and the entries of one page mostly share their day.
 */
export function fromMillis(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  if (day !== cachedDay) {
    if (!Number.isSafeInteger(ms) || ms < FIRST_MS || ms > LAST_MS) return new Date(ms).toISOString();
    cachedDay = day;
    cachedDayPrefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
  }
  let rest = ms - day * DAY_MS;
  const milli = rest % 1000;
  rest = (rest - milli) / 1000;
  const second = rest % 60;
  rest = (rest - second) / 60;
  const minute = rest % 60;
  const hour = (rest - minute) / 60;
  return `${cachedDayPrefix}${TWO_DIGITS[hour]}:${TWO_DIGITS[minute]}:${TWO_DIGITS[second]}.${THREE_DIGITS[milli]}Z`;
}
