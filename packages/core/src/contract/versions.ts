import type { Conflict } from "./types";

/**
 * The version a write stores (see BackendInstance). `current` is the key's stored version, expired or
 * not; `floor` is at least every version the backend removed from the project; `imported` is the
 * version an imported record carried. An existing key takes the larger of its own and the imported
 * version plus one; a new key never repeats a version a removed incarnation had.
 */
export function nextVersion(current: number | undefined, floor: number, imported?: number): number {
  if (current !== undefined) return Math.max(current, imported ?? 0) + 1;
  return Math.max(floor + 1, imported ?? 0);
}

/** The result of a conditional write whose condition failed; nothing was written. */
export function conflict(currentVersion: number | undefined): Conflict {
  return { conflict: true, currentVersion };
}

export function isConflict(value: unknown): value is Conflict {
  return typeof value === "object" && value !== null && (value as Conflict).conflict === true;
}
