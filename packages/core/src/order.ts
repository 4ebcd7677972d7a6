import type { ListCursor } from "./types";

type Positioned = Pick<ListCursor, "updatedAt" | "key">;

/** Keys compare as JavaScript strings do (UTF-16 code units); every backend must agree. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** List order: newest `updatedAt` first, ties by key ascending. */
export function compareListOrder(a: Positioned, b: Positioned): number {
  if (a.updatedAt !== b.updatedAt) return a.updatedAt > b.updatedAt ? -1 : 1;
  return compareKeys(a.key, b.key);
}

/** True when `entry` comes strictly after `cursor` in list order. */
export function isAfter(entry: Positioned, cursor: Positioned): boolean {
  return compareListOrder(entry, cursor) > 0;
}
