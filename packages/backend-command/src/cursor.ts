import type { ListCursor, ListQuery, StoreEntry, StoreRef } from "@store/core";

/** Fetches `limit` entries at `offset` in list order (newest first, ties by key). */
export type PageFetcher = (
  ref: StoreRef,
  limit: number,
  offset: number,
  notBefore?: string,
) => Promise<StoreEntry[]>;

/** The largest LIMIT asked of a provider: what core itself allows a caller. */
export const MAX_PAGE = 1000;
const REMEMBERED = 512;

function isAfter(entry: StoreEntry, cursor: ListCursor): boolean {
  if (entry.updatedAt !== cursor.updatedAt) return entry.updatedAt < cursor.updatedAt;
  return entry.key > cursor.key;
}

/**
 * Keyset paging (`after`) for providers that only page by offset: the v1 protocol, and v2
 * providers that do not announce `cursor`. Where the last page ended is remembered, so walking a
 * store page by page (export) asks the provider for one page at a time; the remembered position
 * is checked against the entry just before it, and when the store moved under it the position is
 * found again by scanning from the start.
 */
export class CursorEmulation {
  private readonly positions = new Map<string, number>();

  constructor(private readonly fetchPage: PageFetcher) {}

  async list(ref: StoreRef, query: ListQuery): Promise<StoreEntry[]> {
    const { limit, offset, after, notBefore } = query;
    if (!after) {
      const page = await this.fetchPage(ref, limit, offset, notBefore);
      this.remember(ref, page, offset);
      return page;
    }
    const position = this.positions.get(this.id(ref, after));
    if (position !== undefined && position > 0) {
      // One entry more, from the cursor's own position: it proves the position is still right.
      const page = await this.range(ref, position - 1, offset + limit + 1, notBefore);
      const first = page[0];
      if (first && first.key === after.key && first.updatedAt === after.updatedAt) {
        const result = page.slice(1 + offset, 1 + offset + limit);
        this.remember(ref, result, position + offset);
        return result;
      }
    }
    const start = await this.find(ref, after, notBefore);
    if (start === undefined) return [];
    const result = await this.range(ref, start + offset, limit, notBefore);
    this.remember(ref, result, start + offset);
    return result;
  }

  /** The position of the first entry after `cursor`, scanning from the start. */
  private async find(ref: StoreRef, cursor: ListCursor, notBefore?: string): Promise<number | undefined> {
    for (let offset = 0; ; offset += MAX_PAGE) {
      const page = await this.fetchPage(ref, MAX_PAGE, offset, notBefore);
      const index = page.findIndex((e) => isAfter(e, cursor));
      if (index >= 0) return offset + index;
      if (page.length < MAX_PAGE) return undefined;
    }
  }

  /** `count` entries from `offset`, in pages of at most MAX_PAGE. */
  private async range(
    ref: StoreRef,
    offset: number,
    count: number,
    notBefore?: string,
  ): Promise<StoreEntry[]> {
    const out: StoreEntry[] = [];
    while (out.length < count) {
      const want = Math.min(MAX_PAGE, count - out.length);
      const page = await this.fetchPage(ref, want, offset + out.length, notBefore);
      out.push(...page);
      if (page.length < want) break;
    }
    return out;
  }

  private remember(ref: StoreRef, page: StoreEntry[], offset: number): void {
    const last = page[page.length - 1];
    if (!last) return;
    const id = this.id(ref, last);
    this.positions.delete(id);
    this.positions.set(id, offset + page.length);
    if (this.positions.size > REMEMBERED) this.positions.delete(this.positions.keys().next().value as string);
  }

  private id(ref: StoreRef, at: ListCursor): string {
    return `${ref.store}\u0000${ref.project}\u0000${at.updatedAt}\u0000${at.key}`;
  }
}
