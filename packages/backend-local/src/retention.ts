import { nextVersion, type PutRecord, type StoreRef } from "@store/core/backend";
import { decodeKey } from "./key-encoding";
import { countOf, recordRemoval, removeBeyond } from "./removals";
import type { Statements } from "./statements";
import type { WriteParams } from "./write-params";

/** A key's stored row: id, version, updated_at (expired or not). */
export type CurrentRow = [id: number, version: number, updatedAt: number];
type OldestRow = [id: number, updatedAt: number, key: string, version: number];

/** True when an entry at (updatedAt, key) would come after `oldest` in list order. */
function sortsAfter(updatedAt: number, key: string, oldest: OldestRow): boolean {
  return updatedAt < oldest[1] || (updatedAt === oldest[1] && key > decodeKey(oldest[2]));
}

/**
 * Writes `record` and keeps the newest `maxEntries` of the project, inside BEGIN IMMEDIATE. The
 * project's count (kept exact by the insert trigger and the removals) says in O(1) whether anything
 * must go. Resolves the version written.
 */
export function putWithRetention(
  s: Statements,
  ref: StoreRef,
  record: PutRecord,
  w: WriteParams,
  current: CurrentRow | undefined,
  maxEntries: number,
): number {
  const { n, floor } = countOf(s, ref);
  let count = n;
  let version: number;
  if (current) {
    // An existing key is updated in place: nothing is evicted unless the limit was lowered since.
    version = nextVersion(current[1], floor, record.version);
    s.rewrite.run({
      ...w,
      id: current[0],
      version,
      createdAt: record.createdAt === undefined ? null : w.createdAt,
    });
  } else if (n < maxEntries) {
    // Room for one more: even a new key cannot overflow (the trigger counts the insert).
    version = nextVersion(undefined, floor, record.version);
    s.insert.run({ ...w, version });
    count++;
  } else {
    const oldest = s.oldest.get(ref.store, ref.project) as OldestRow | undefined;
    if (!oldest || sortsAfter(w.updatedAt, record.key, oldest)) {
      // The new entry would itself be last in list order: written and evicted at once, so nothing
      // changes but the floor, which now covers the version it would have had.
      version = nextVersion(undefined, floor, record.version);
      recordRemoval(s, ref, version, 0);
    } else {
      // A new key in a full project takes the row of the last entry in list order: one row rewritten
      // instead of one inserted and one deleted, and the count does not change.
      version = nextVersion(undefined, Math.max(floor, oldest[3]), record.version);
      s.rewrite.run({ ...w, id: oldest[0], version });
      recordRemoval(s, ref, oldest[3], 0);
    }
  }
  // Over the limit already (it was lowered since): drop the excess too.
  if (count > maxEntries) removeBeyond(s, ref, maxEntries);
  return version;
}
