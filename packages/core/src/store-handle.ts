import type { PutRecord } from "./backend";
import { StoreError } from "./errors";
import type { ResolvedStore, StoreManager } from "./manager";
import { backendError, unsupported } from "./manager";
import { normalizeTimestamp } from "./time";
import type { JsonValue, ListCursor, StoreEntry } from "./types";
import { validateCursor, validateKey, validateListArgs } from "./validate";

export interface PutResult {
  key: string;
  updatedAt: string;
  taskId: string;
}

/** An entry as export writes it and import reads it (timestamps optional on import). */
export interface ImportEntry {
  key: string;
  value: JsonValue;
  updatedAt?: string;
  createdAt?: string;
  taskId?: string;
}

export interface ListPage {
  entries: StoreEntry[];
  /** Pass to the next `listPage` call; absent on the last page. */
  nextCursor?: string;
}

const NO_QUERY = Object.freeze({});

/** One store in one project. Cheap to create; resolution happens on the first op and is cached. */
export class StoreHandle {
  private resolved?: ResolvedStore;

  constructor(
    private readonly manager: StoreManager,
    readonly name: string,
    readonly project: string,
  ) {}

  /** The value at `key`, or `undefined` when absent or expired. A stored `null` is returned as `null`. */
  async get(key: string): Promise<JsonValue | undefined> {
    return (await this.getEntry(key))?.value;
  }

  async getEntry(key: string): Promise<StoreEntry | undefined> {
    validateKey(key);
    const r = this.live() ?? (await this.resolve());
    const notBefore = this.manager.cutoff(r);
    let entry: StoreEntry | undefined;
    try {
      const result = r.backend.get(r.ref, key, notBefore ? { notBefore } : NO_QUERY);
      // Synchronous backends (SQLite) answer at once: skip the extra microtask on the hot path.
      entry = result instanceof Promise ? await result : result;
    } catch (error) {
      throw backendError(error, r, `get of key ${JSON.stringify(key)}`);
    }
    // Core owns TTL visibility: an expired entry is absent even if the backend returned it.
    if (entry && notBefore && entry.updatedAt && entry.updatedAt < notBefore) return undefined;
    return entry;
  }

  /** Upsert. Checks the store's schema first and applies its retention after. */
  async put(key: string, value: JsonValue, options: { taskId?: string } = {}): Promise<PutResult> {
    const r = this.live() ?? (await this.resolve());
    const record = this.manager.prepare(r, key, value, options.taskId);
    await this.manager.put(r, record);
    return { key: record.key, updatedAt: record.updatedAt, taskId: record.taskId };
  }

  /** Idempotent; resolves whether the key existed. */
  async delete(key: string): Promise<boolean> {
    validateKey(key);
    const r = this.live() ?? (await this.resolve());
    try {
      return await r.backend.delete(r.ref, key);
    } catch (error) {
      throw backendError(error, r, `delete of key ${JSON.stringify(key)}`);
    }
  }

  /** Newest first by updatedAt, ties by key. `limit` 1..1000 (default 100), `offset` ≥ 0. */
  async list(options: { limit?: number; offset?: number } = {}): Promise<StoreEntry[]> {
    const { limit, offset } = validateListArgs(options.limit, options.offset);
    const r = this.live() ?? (await this.resolve());
    return this.fetch(r, limit, offset);
  }

  /**
   * Keyset paging: a page deep in a large store costs the same as the first, and stays stable while
   * others write. Needs a backend with the `cursor` capability.
   */
  async listPage(options: { limit?: number; cursor?: string } = {}): Promise<ListPage> {
    const { limit } = validateListArgs(options.limit, undefined);
    const r = this.live() ?? (await this.resolve());
    if (options.cursor !== undefined && !r.capabilities.cursor) throw unsupported(r, "cursor paging");
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    const entries = await this.fetch(r, limit, 0, after);
    const last = entries[entries.length - 1];
    return entries.length === limit && last
      ? { entries, nextCursor: encodeCursor({ updatedAt: last.updatedAt, key: last.key }) }
      : { entries };
  }

  private async fetch(
    r: ResolvedStore,
    limit: number,
    offset: number,
    after?: ListCursor,
  ): Promise<StoreEntry[]> {
    const notBefore = this.manager.cutoff(r);
    let entries: StoreEntry[];
    try {
      entries = await r.backend.list(r.ref, {
        limit,
        offset,
        ...(after ? { after } : {}),
        ...(notBefore ? { notBefore } : {}),
      });
    } catch (error) {
      throw backendError(error, r, "list");
    }
    if (entries.length > limit) entries = entries.slice(0, limit);
    // Expired entries sort after every live one (oldest last), so filtering them keeps offsets right.
    return notBefore ? entries.filter((e) => !e.updatedAt || e.updatedAt >= notBefore) : entries;
  }

  /** Removes entries beyond the newest `maxEntries` and older than `ttlDays`; defaults to retention. */
  async prune(options: { maxEntries?: number; ttlDays?: number } = {}): Promise<number> {
    const r = this.live() ?? (await this.resolve());
    return this.manager.prune(r, options.maxEntries, options.ttlDays);
  }

  /** Every visible entry in list order, fetched a page at a time (export). Bounded memory. */
  async *entries(options: { batchSize?: number } = {}): AsyncGenerator<StoreEntry> {
    const batchSize = options.batchSize ?? 500;
    const r = this.live() ?? (await this.resolve());
    let after: ListCursor | undefined;
    let offset = 0;
    for (;;) {
      const page = r.capabilities.cursor
        ? await this.fetch(r, batchSize, 0, after)
        : await this.fetch(r, batchSize, offset);
      yield* page;
      const last = page[page.length - 1];
      if (page.length < batchSize || !last) return;
      after = { updatedAt: last.updatedAt, key: last.key };
      offset += page.length;
    }
  }

  /**
   * Writes entries keeping their timestamps and task ids (import). Each is validated and checked
   * against the schema; batches go through `putMany` where the backend has it. Retention is applied
   * once at the end. Resolves how many entries were written.
   */
  async import(
    source: AsyncIterable<ImportEntry> | Iterable<ImportEntry>,
    options: { batchSize?: number; onProgress?: (written: number) => void } = {},
  ): Promise<number> {
    const batchSize = options.batchSize ?? 1000;
    const r = this.live() ?? (await this.resolve());
    let batch: PutRecord[] = [];
    let written = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      try {
        if (r.backend.putMany && r.capabilities.putMany) await r.backend.putMany(r.ref, batch);
        else for (const record of batch) await r.backend.put(r.ref, record, NO_QUERY);
      } catch (error) {
        throw backendError(error, r, "import");
      }
      written += batch.length;
      batch = [];
      options.onProgress?.(written);
    };
    let index = 0;
    for await (const item of source) {
      index++;
      batch.push(this.importRecord(r, item, index));
      if (batch.length >= batchSize) await flush();
    }
    await flush();
    if (r.config.retention.maxEntries !== undefined) await this.manager.prune(r, undefined, 0);
    return written;
  }

  private importRecord(r: ResolvedStore, item: ImportEntry, index: number): PutRecord {
    if (typeof item !== "object" || item === null || !("value" in item)) {
      throw new StoreError(
        "INVALID_ARGUMENT",
        `import entry ${index}: expected an object with "key" and "value"`,
        {
          details: { index },
        },
      );
    }
    try {
      const record = this.manager.prepare(r, item.key, item.value, item.taskId);
      if (item.updatedAt !== undefined) record.updatedAt = normalizeTimestamp(item.updatedAt, "updated_at");
      record.createdAt =
        item.createdAt === undefined ? record.updatedAt : normalizeTimestamp(item.createdAt, "created_at");
      return record;
    } catch (error) {
      if (StoreError.isInstance(error)) {
        error.message = `import entry ${index}: ${error.message}`;
        error.details.index = index;
      }
      throw error;
    }
  }

  /** The cached resolution, unless the manager was closed since (then resolve() throws CLOSED). */
  private live(): ResolvedStore | undefined {
    return this.manager.isClosed ? undefined : this.resolved;
  }

  private async resolve(): Promise<ResolvedStore> {
    this.resolved = await this.manager.resolve(this.name, this.project);
    return this.resolved;
  }
}

export function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(JSON.stringify([cursor.updatedAt, cursor.key]), "utf8").toString("base64url");
}

export function decodeCursor(text: string): ListCursor {
  try {
    const [updatedAt, key] = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as [string, string];
    return validateCursor({ updatedAt, key });
  } catch (error) {
    if (StoreError.isInstance(error)) throw error;
    throw new StoreError("INVALID_ARGUMENT", "invalid cursor: expected one returned by a previous page");
  }
}
