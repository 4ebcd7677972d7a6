import { errors } from "./errors";
import { encodeKey } from "./key-encoding";

/**
 * List order in one sorted set: every member has score 0, so Redis orders members by their bytes
 * (ZRANGE … BYLEX), and each member is built so that byte order IS list order:
 *
 *   member = clock(updatedAt) + " " + encodeKey(key)
 *
 * `clock` replaces each digit d of the canonical timestamp (`2026-11-26T08:40:00.123Z`, always 24
 * characters) by 9 - d: a later time gives smaller bytes, so the newest entry comes first, and the
 * separators sit at the same places in every timestamp. All clocks have the same length, so ties on
 * updatedAt fall through to the key, whose encoding sorts as JavaScript compares strings.
 *
 * The same bytes serve as bounds: a keyset cursor seeks to "(" + member, and the live entries of a
 * store with a TTL are the members below clock(notBefore) + "!" ("!" is the byte after the space).
 */

/** Length of a canonical timestamp, and so of every clock. */
export const CLOCK_LENGTH = 24;

const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Core always hands canonical timestamps over; anything else would sort wrongly, so refuse it. */
export function assertCanonical(timestamp: string): void {
  if (!CANONICAL.test(timestamp)) {
    throw errors.error(
      "INVALID_ARGUMENT",
      `timestamp ${JSON.stringify(timestamp)} is not in the canonical form 2026-11-26T08:40:00.123Z`,
    );
  }
}

/** The descending clock of a canonical timestamp. */
export function clock(timestamp: string): string {
  assertCanonical(timestamp);
  return timestamp.replace(/\d/g, (d) => String(9 - Number(d)));
}

/** The sorted-set member of an entry. */
export function orderMember(updatedAt: string, key: string): Buffer {
  return Buffer.concat([Buffer.from(`${clock(updatedAt)} `, "latin1"), encodeKey(key)]);
}

/** ZRANGE BYLEX bounds of a list: after a cursor position, and only entries not older than notBefore. */
export function listBounds(after?: { updatedAt: string; key: string }, notBefore?: string): [Buffer, Buffer] {
  const min = after
    ? Buffer.concat([Buffer.from("("), orderMember(after.updatedAt, after.key)])
    : Buffer.from("-");
  const max = notBefore ? Buffer.from(`(${clock(notBefore)}!`, "latin1") : Buffer.from("+");
  return [min, max];
}

/** The first member of the entries updated before `olderThan` (the tail of the order). */
export function olderThanBound(olderThan: string): Buffer {
  return Buffer.from(`(${clock(olderThan)}!`, "latin1");
}
