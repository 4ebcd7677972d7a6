import type { ListQuery } from "../contract/types";
import { StoreError } from "../errors";
import { compareListOrder, isAfter } from "../order";
import type { ListCursor, StoreEntry } from "../types";
import { LIMITS, validateCursor } from "../validate";
import { backendError, contractBroken, type ResolvedStore } from "./resolved";

/** Where a page ended: the last entry's position, and (offset paging) how many entries precede it. */
export interface PagePosition extends ListCursor {
  /** Backends without `cursor`: the offset of the entry after this one, a hint for the next page. */
  offset?: number;
}

export interface Page {
  entries: StoreEntry[];
  /** True when the backend may hold more entries after this page. */
  more: boolean;
}

const MAX_PAGE = LIMITS.listMaxLimit;

/**
 * One call of the backend's list, checked against the contract: at most `limit` entries, strictly in
 * list order, after `query.after`. Expired entries are dropped again here: core owns TTL visibility,
 * and they sort last, so dropping them keeps offsets right.
 */
export async function readPage(r: ResolvedStore, query: ListQuery): Promise<StoreEntry[]> {
  let entries: StoreEntry[];
  try {
    const result = r.backend.list(r.ref, query);
    // Synchronous backends (SQLite) answer at once: skip the extra microtask.
    entries = result instanceof Promise ? await result : result;
  } catch (error) {
    throw backendError(error, r, "list");
  }
  if (entries.length > query.limit) entries = entries.slice(0, query.limit);
  let previous: StoreEntry | undefined;
  for (const entry of entries) {
    if (previous ? compareListOrder(previous, entry) >= 0 : query.after && !isAfter(entry, query.after)) {
      const before = previous ?? query.after;
      throw contractBroken(
        r,
        "list",
        `entry ${JSON.stringify(entry.key)} (${entry.updatedAt}) is not after ${JSON.stringify(before?.key)} (${before?.updatedAt}) in list order`,
      );
    }
    previous = entry;
  }
  const notBefore = query.notBefore;
  return notBefore ? entries.filter((e) => e.updatedAt >= notBefore) : entries;
}

/**
 * Up to `limit` entries after `after` (from the start when absent). Backends with the `cursor`
 * capability seek natively. For the others core pages by offset: the position hint of the previous
 * page is checked by re-reading its last entry, and found again by a scan when the store moved.
 */
export async function pageAfter(
  r: ResolvedStore,
  after: PagePosition | undefined,
  limit: number,
  notBefore: string | undefined,
): Promise<{ page: Page; end?: PagePosition }> {
  if (r.capabilities.cursor || !after) {
    const entries = await readPage(r, {
      limit,
      offset: 0,
      ...(after ? { after: { updatedAt: after.updatedAt, key: after.key } } : {}),
      ...(notBefore ? { notBefore } : {}),
    });
    return finish(entries, limit, r.capabilities.cursor ? undefined : 0);
  }
  try {
    return await emulatedPageAfter(r, after, limit, notBefore);
  } catch (error) {
    // A scan can see an entry twice when a write lands between two of its pages; one fresh try tells
    // that apart from a backend that ignores offset.
    if (!StoreError.isInstance(error, "PROVIDER_PROTOCOL")) throw error;
    return emulatedPageAfter(r, { ...after, offset: undefined }, limit, notBefore);
  }
}

async function emulatedPageAfter(
  r: ResolvedStore,
  after: PagePosition,
  limit: number,
  notBefore: string | undefined,
): Promise<{ page: Page; end?: PagePosition }> {
  if (after.offset !== undefined && after.offset > 0) {
    const { entries, more } = await range(r, after.offset - 1, limit + 1, notBefore);
    const first = entries[0];
    if (first && first.key === after.key && first.updatedAt === after.updatedAt) {
      return finish(entries.slice(1), limit, after.offset, more);
    }
  }
  const start = await find(r, after, notBefore);
  if (start === undefined) return finish([], limit, undefined, false);
  const { entries, more } = await range(r, start, limit, notBefore, after);
  return finish(entries, limit, start, more);
}

function finish(
  entries: StoreEntry[],
  limit: number,
  startOffset: number | undefined,
  more = entries.length === limit,
): { page: Page; end?: PagePosition } {
  const last = entries[entries.length - 1];
  if (!last) return { page: { entries, more: false } };
  const end: PagePosition = { updatedAt: last.updatedAt, key: last.key };
  if (startOffset !== undefined) end.offset = startOffset + entries.length;
  return { page: { entries, more }, end };
}

/**
 * `count` entries from `offset`, in calls of at most MAX_PAGE, each checked to move forward (the first
 * one past `after`, when given).
 */
async function range(
  r: ResolvedStore,
  offset: number,
  count: number,
  notBefore: string | undefined,
  after?: ListCursor,
): Promise<{ entries: StoreEntry[]; more: boolean }> {
  const out: StoreEntry[] = [];
  for (;;) {
    const want = Math.min(MAX_PAGE, count - out.length);
    const page = await readPage(r, {
      limit: want,
      offset: offset + out.length,
      ...(notBefore ? { notBefore } : {}),
    });
    checkProgress(r, out[out.length - 1] ?? after, page[0], offset + out.length);
    out.push(...page);
    if (page.length < want) return { entries: out, more: false };
    if (out.length >= count) return { entries: out, more: true };
  }
}

/** The offset of the first entry after `cursor`, scanning from the start. */
async function find(
  r: ResolvedStore,
  cursor: ListCursor,
  notBefore: string | undefined,
): Promise<number | undefined> {
  let last: StoreEntry | undefined;
  for (let offset = 0; ; offset += MAX_PAGE) {
    const page = await readPage(r, { limit: MAX_PAGE, offset, ...(notBefore ? { notBefore } : {}) });
    checkProgress(r, last, page[0], offset);
    const index = page.findIndex((e) => isAfter(e, cursor));
    if (index >= 0) return offset + index;
    if (page.length < MAX_PAGE) return undefined;
    last = page[page.length - 1];
  }
}

/** A page read at a larger offset must start after where the previous one ended. */
function checkProgress(
  r: ResolvedStore,
  previous: ListCursor | undefined,
  next: StoreEntry | undefined,
  offset: number,
): void {
  if (!previous || !next || isAfter(next, previous)) return;
  throw contractBroken(
    r,
    "list",
    `the page at offset ${offset} starts with ${JSON.stringify(next.key)}, which is not after the previous page's last entry ${JSON.stringify(previous.key)}: the list makes no progress (does the provider honour OFFSET?)`,
  );
}

/** A cursor is opaque to callers: base64url JSON of the position (and offset hint). */
export function encodeCursor(position: PagePosition): string {
  const fields: unknown[] = [position.updatedAt, position.key];
  if (position.offset !== undefined) fields.push(position.offset);
  return Buffer.from(JSON.stringify(fields), "utf8").toString("base64url");
}

export function decodeCursor(text: unknown): PagePosition {
  try {
    if (typeof text !== "string") throw new Error("not a string");
    const [updatedAt, key, offset] = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as [
      string,
      string,
      number | undefined,
    ];
    const position: PagePosition = validateCursor({ updatedAt, key });
    if (offset !== undefined) {
      if (!Number.isSafeInteger(offset) || offset < 0) throw new Error("bad offset");
      position.offset = offset;
    }
    return position;
  } catch (error) {
    if (StoreError.isInstance(error)) throw error;
    throw new StoreError("INVALID_ARGUMENT", "invalid cursor: expected one returned by a previous page");
  }
}
