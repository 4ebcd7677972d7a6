import type { SnapshotReader } from "../contract/types";
import { compareListOrder } from "../order";
import type { StoreEntry } from "../types";
import { validateListArgs } from "../validate";
import { type PagePosition, pageAfter } from "./paging";
import { backendError, contractBroken, type ResolvedStore } from "./resolved";

/**
 * Every visible entry of a store, read forward in list order, as many per `read` as the caller asks
 * (export sizes its reads by bytes). Always `close` it, also after stopping early.
 */
export interface EntryReader {
  /**
   * True when the entries come from a consistent snapshot (backends with `snapshot`). Otherwise they
   * come from keyset pages: an entry rewritten during the read moves to the front and can be missed.
   */
  readonly snapshot: boolean;
  /** The next entries, at most `limit` (1..1000); an empty array once every entry was read. */
  read(limit: number): Promise<StoreEntry[]>;
  /** Releases the snapshot (a transaction, a connection); idempotent. */
  close(): Promise<void>;
}

export async function openReader(r: ResolvedStore, notBefore: string | undefined): Promise<EntryReader> {
  if (!r.backend.snapshot) return new PagedReader(r, notBefore);
  let snapshot: SnapshotReader;
  try {
    snapshot = await r.backend.snapshot(r.ref, notBefore ? { notBefore } : {});
  } catch (error) {
    throw backendError(error, r, "export (opening a snapshot)");
  }
  return new CheckedSnapshotReader(r, snapshot, notBefore);
}

/** Keyset pages through `list` (emulated over offsets where the backend has no `cursor`). */
class PagedReader implements EntryReader {
  readonly snapshot = false;
  private after: PagePosition | undefined;
  private done = false;

  constructor(
    private readonly r: ResolvedStore,
    private readonly notBefore: string | undefined,
  ) {}

  async read(limit: number): Promise<StoreEntry[]> {
    validateListArgs(limit, undefined);
    if (this.done) return [];
    const { page, end } = await pageAfter(this.r, this.after, limit, this.notBefore);
    if (!page.more || !end) this.done = true;
    else this.after = end;
    return page.entries;
  }

  async close(): Promise<void> {
    this.done = true;
  }
}

/**
 * A backend's snapshot, held to the contract as `list` is: at most `limit` entries, strictly in list
 * order across reads, expired entries dropped (they sort last, so the first one ends the read).
 */
class CheckedSnapshotReader implements EntryReader {
  readonly snapshot = true;
  private last: StoreEntry | undefined;
  private done = false;
  private closed = false;

  constructor(
    private readonly r: ResolvedStore,
    private readonly source: SnapshotReader,
    private readonly notBefore: string | undefined,
  ) {}

  async read(limit: number): Promise<StoreEntry[]> {
    validateListArgs(limit, undefined);
    if (this.done) return [];
    let entries: StoreEntry[];
    try {
      entries = await this.source.read(limit);
    } catch (error) {
      throw backendError(error, this.r, "export");
    }
    if (entries.length > limit) {
      throw contractBroken(
        this.r,
        "export",
        `a snapshot read returned ${entries.length} entries, more than the ${limit} asked for`,
      );
    }
    for (const entry of entries) {
      if (this.last && compareListOrder(this.last, entry) >= 0) {
        throw contractBroken(
          this.r,
          "export",
          `snapshot entry ${JSON.stringify(entry.key)} (${entry.updatedAt}) is not after ${JSON.stringify(this.last.key)} (${this.last.updatedAt}) in list order`,
        );
      }
      this.last = entry;
    }
    if (entries.length === 0) this.done = true;
    const notBefore = this.notBefore;
    if (notBefore === undefined) return entries;
    const live = entries.findIndex((e) => e.updatedAt < notBefore);
    if (live === -1) return entries;
    this.done = true;
    return entries.slice(0, live);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.done = true;
    try {
      await this.source.close();
    } catch (error) {
      throw backendError(error, this.r, "export (closing the snapshot)");
    }
  }
}
