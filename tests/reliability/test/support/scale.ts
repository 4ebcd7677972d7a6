/**
 * Heavy parts run smaller by default (CI, a loaded 2-core machine: the whole suite in a few minutes)
 * and at full size with RELIABILITY_FULL=1. Every count the suite uses comes from here, so
 * docs/RELIABILITY.md can state both.
 */
export const FULL = process.env.RELIABILITY_FULL === "1";

export function scale(ci: number, full: number): number {
  return FULL ? full : ci;
}
