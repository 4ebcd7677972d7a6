import type { ListCursor, StoreEntry } from "@store/core";

/** Keys compare as JavaScript strings do (UTF-16 code units); every backend must agree. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** List order of brief §3: newest `updatedAt` first, ties by key ascending. */
export function compareListOrder(
  a: Pick<StoreEntry, "updatedAt" | "key">,
  b: Pick<StoreEntry, "updatedAt" | "key">,
) {
  if (a.updatedAt !== b.updatedAt) return a.updatedAt > b.updatedAt ? -1 : 1;
  return compareKeys(a.key, b.key);
}

/** True when `entry` comes strictly after `cursor` in list order. */
export function isAfter(entry: Pick<StoreEntry, "updatedAt" | "key">, cursor: ListCursor): boolean {
  return compareListOrder(entry, cursor) > 0;
}
