import type { PutOptions, PutRecord } from "../contract/types";
import { isConflict } from "../contract/versions";
import { ConflictError, StoreError } from "../errors";
import { DAY_MS, toTimestamp } from "../time";
import type { JsonValue, PutResult, StoreEntry, WriteCondition } from "../types";
import {
  serializeValue,
  validateCondition,
  validateKey,
  validateListArgs,
  validatePruneArgs,
  validateTaskId,
} from "../validate";
import { type ImportEntry, importRecord } from "./import-record";
import { decodeCursor, encodeCursor, pageAfter, readPage } from "./paging";
import { type EntryReader, openReader } from "./reader";
import { backendError, contractBroken, type ResolvedStore, type StoreRuntime, unsupported } from "./resolved";
import { backoff, SKIP_UPDATE, type UpdateFunction, type UpdateOptions, type UpdateResult } from "./update";

export interface StorePutOptions extends WriteCondition {
  /** The task writing the entry; may be empty. */
  taskId?: string;
}

export interface StoreDeleteOptions {
  /** Delete only if the live entry has exactly this version. */
  ifVersion?: number;
}

export interface ListPage {
  entries: StoreEntry[];
  /** Pass to the next `listPage` call; absent on the last page. */
  nextCursor?: string;
}

export interface ImportOptions {
  /** Entries written per backend call (`putMany`). Default 1000. */
  batchSize?: number;
  /** Called after each batch with the number of entries written so far. */
  onProgress?: (written: number) => void;
}

const NO_OPTIONS = Object.freeze({});
const DEFAULT_UPDATE_ATTEMPTS = 64;

/**
 * One store in one project, and the one owner of every operation on it: validation, schema checks,
 * TTL visibility, conditions and retention happen here, the same for every backend. Cheap to create;
 * resolution happens on the first op and is cached.
 */
export class StoreHandle {
  private resolved?: ResolvedStore;

  constructor(
    private readonly runtime: StoreRuntime,
    readonly name: string,
    readonly project: string,
  ) {}

  /** The value at `key`, or `undefined` when absent or expired. A stored `null` is returned as `null`. */
  async get(key: string): Promise<JsonValue | undefined> {
    return (await this.getEntry(key))?.value;
  }

  /** The entry at `key` with its version and timestamps, or `undefined` when absent or expired. */
  async getEntry(key: string): Promise<StoreEntry | undefined> {
    validateKey(key);
    const r = this.live() ?? (await this.resolve());
    const notBefore = this.cutoff(r);
    let entry: StoreEntry | undefined;
    try {
      const result = r.backend.get(r.ref, key, notBefore ? { notBefore } : NO_OPTIONS);
      // Synchronous backends (SQLite) answer at once: skip the extra microtask on the hot path.
      entry = result instanceof Promise ? await result : result;
    } catch (error) {
      throw backendError(error, r, `get of key ${JSON.stringify(key)}`);
    }
    // Core owns TTL visibility: an expired entry is absent even if the backend returned it.
    if (entry && notBefore && entry.updatedAt < notBefore) return undefined;
    return entry;
  }

  /**
   * Upsert. Checks the store's schema first and applies its retention after. With `ifVersion` or
   * `ifAbsent` the write happens only if the condition holds, else CONFLICT and nothing changes.
   */
  async put(key: string, value: JsonValue, options: StorePutOptions = NO_OPTIONS): Promise<PutResult> {
    const r = this.live() ?? (await this.resolve());
    const record = this.prepare(r, key, value, options.taskId);
    const condition = options === NO_OPTIONS ? undefined : validateCondition(options);
    if (condition && !r.capabilities.conditionalWrites)
      throw unsupported(r, "conditional writes (ifVersion, ifAbsent)");
    const { maxEntries } = r.retention;
    const native = maxEntries !== undefined && r.capabilities.retentionOnPut;
    const notBefore = this.cutoff(r);
    const putOptions: PutOptions =
      !native && !notBefore && !condition
        ? NO_OPTIONS
        : { ...(native ? { maxEntries } : {}), ...(notBefore ? { notBefore } : {}), ...condition };
    const doing = `put of key ${JSON.stringify(record.key)}`;
    let outcome: number | import("../contract/types").Conflict;
    try {
      const result = r.backend.put(r.ref, record, putOptions);
      outcome = result instanceof Promise ? await result : result;
      if (isConflict(outcome)) throw this.conflict(r, doing, record.key, condition, outcome.currentVersion);
      // Retention the backend does not apply itself (resolution made sure it can prune).
      if (maxEntries !== undefined && !native) await r.backend.prune?.(r.ref, { maxEntries });
    } catch (error) {
      throw backendError(error, r, doing);
    }
    if (!Number.isSafeInteger(outcome) || outcome < 1) {
      throw contractBroken(
        r,
        doing,
        `the backend resolved ${String(outcome)} instead of the version it wrote`,
      );
    }
    return { key: record.key, version: outcome, updatedAt: record.updatedAt, taskId: record.taskId };
  }

  /** Idempotent; resolves whether a live entry existed. With `ifVersion`, CONFLICT unless it matches. */
  async delete(key: string, options: StoreDeleteOptions = NO_OPTIONS): Promise<boolean> {
    validateKey(key);
    const r = this.live() ?? (await this.resolve());
    const condition =
      options === NO_OPTIONS ? undefined : validateCondition({ ifVersion: options.ifVersion });
    if (condition && !r.capabilities.conditionalWrites)
      throw unsupported(r, "conditional deletes (ifVersion)");
    const notBefore = this.cutoff(r);
    const doing = `delete of key ${JSON.stringify(key)}`;
    try {
      const outcome = await r.backend.delete(r.ref, key, {
        ...(notBefore ? { notBefore } : {}),
        ...condition,
      });
      if (isConflict(outcome)) throw this.conflict(r, doing, key, condition, outcome.currentVersion);
      return outcome;
    } catch (error) {
      throw backendError(error, r, doing);
    }
  }

  /**
   * Reads the entry, calls `fn(value, entry)` (both `undefined` when absent) and writes what it returns
   * on condition that nobody wrote in between; on CONFLICT it tries again with the fresh entry, after a
   * jittered backoff, up to `maxAttempts` times. `fn` returns `SKIP_UPDATE` to write nothing.
   */
  async update(key: string, fn: UpdateFunction, options: UpdateOptions = NO_OPTIONS): Promise<UpdateResult> {
    validateKey(key);
    const r = this.live() ?? (await this.resolve());
    if (!r.capabilities.conditionalWrites) throw unsupported(r, "update (it needs conditional writes)");
    const maxAttempts = options.maxAttempts ?? DEFAULT_UPDATE_ATTEMPTS;
    if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) {
      throw new StoreError(
        "INVALID_ARGUMENT",
        `invalid maxAttempts ${String(maxAttempts)}: expected a positive integer`,
      );
    }
    let lastVersion: number | undefined;
    for (let attempt = 1; ; attempt++) {
      const current = await this.getEntry(key);
      const next = await fn(current?.value, current);
      if (next === SKIP_UPDATE) return { written: false, entry: current, attempts: attempt };
      try {
        const written = await this.put(key, next, {
          ...(options.taskId === undefined ? {} : { taskId: options.taskId }),
          ...(current ? { ifVersion: current.version } : { ifAbsent: true }),
        });
        const entry: StoreEntry = {
          key: written.key,
          value: next,
          createdAt: current?.createdAt ?? written.updatedAt,
          updatedAt: written.updatedAt,
          taskId: written.taskId,
          version: written.version,
        };
        return { written: true, entry, attempts: attempt };
      } catch (error) {
        if (!StoreError.isInstance(error, "CONFLICT")) throw error;
        lastVersion = (error as ConflictError).currentVersion;
      }
      if (attempt >= maxAttempts) {
        throw new ConflictError(
          `update of key ${JSON.stringify(key)} in store "${this.name}": gave up after ${attempt} attempts, every one conflicting with another writer (last seen version ${lastVersion ?? "none"})`,
          lastVersion,
          { store: this.name, project: this.project, key, attempts: attempt },
        );
      }
      await backoff(attempt);
    }
  }

  /** Newest first by updatedAt, ties by key. `limit` 1..1000 (default 100), `offset` ≥ 0. */
  async list(options: { limit?: number; offset?: number } = NO_OPTIONS): Promise<StoreEntry[]> {
    const { limit, offset } = validateListArgs(options.limit, options.offset);
    const r = this.live() ?? (await this.resolve());
    const notBefore = this.cutoff(r);
    return readPage(r, { limit, offset, ...(notBefore ? { notBefore } : {}) });
  }

  /**
   * Keyset paging: stable while others write, and on backends with the `cursor` capability a page deep
   * in a large store costs what the first costs. `nextCursor` is absent on the last page.
   */
  async listPage(options: { limit?: number; cursor?: string } = NO_OPTIONS): Promise<ListPage> {
    const { limit } = validateListArgs(options.limit, undefined);
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    const r = this.live() ?? (await this.resolve());
    const { page, end } = await pageAfter(r, after, limit, this.cutoff(r));
    return page.more && end
      ? { entries: page.entries, nextCursor: encodeCursor(end) }
      : { entries: page.entries };
  }

  /**
   * Every visible entry in list order, fetched a page at a time (export). Bounded memory. From a
   * consistent snapshot when the backend takes one (see `openReader`).
   */
  async *entries(options: { batchSize?: number } = NO_OPTIONS): AsyncGenerator<StoreEntry> {
    const { limit: batchSize } = validateListArgs(options.batchSize ?? 500, undefined);
    const reader = await this.openReader();
    try {
      for (;;) {
        const batch = await reader.read(batchSize);
        if (batch.length === 0) return;
        yield* batch;
      }
    } finally {
      await reader.close();
    }
  }

  /**
   * Opens a reader of every visible entry in list order, read as many at a time as each `read` asks
   * (an export that sizes its reads by bytes). Backends that take snapshots (PostgreSQL) serve it
   * from one consistent snapshot; the others from keyset pages. Always `close` it.
   */
  async openReader(): Promise<EntryReader> {
    const r = this.live() ?? (await this.resolve());
    return openReader(r, this.cutoff(r));
  }

  /** Removes entries beyond the newest `maxEntries` and older than `ttlDays`; defaults to retention. */
  async prune(options: { maxEntries?: number; ttlDays?: number } = NO_OPTIONS): Promise<number> {
    const args = validatePruneArgs(options.maxEntries, options.ttlDays);
    const r = this.live() ?? (await this.resolve());
    const maxEntries = args.maxEntries ?? r.retention.maxEntries;
    const ttlDays = args.ttlDays ?? r.retention.ttlDays;
    if (maxEntries === undefined && !ttlDays) return 0;
    if (!r.capabilities.prune || !r.backend.prune) throw unsupported(r, "prune");
    const query = {
      ...(maxEntries === undefined ? {} : { maxEntries }),
      ...(ttlDays ? { olderThan: toTimestamp(this.runtime.now() - ttlDays * DAY_MS) } : {}),
    };
    try {
      return await r.backend.prune(r.ref, query);
    } catch (error) {
      throw backendError(error, r, "prune");
    }
  }

  /**
   * Writes entries keeping their timestamps, task ids and versions (restore, move between providers).
   * Each is validated and checked against the schema; batches go through `putMany` where the backend
   * has it. Retention is applied once at the end. Resolves how many entries were written.
   */
  async import(
    source: AsyncIterable<ImportEntry> | Iterable<ImportEntry>,
    options: ImportOptions = NO_OPTIONS,
  ): Promise<number> {
    const batchSize = options.batchSize ?? 1000;
    const r = this.live() ?? (await this.resolve());
    const { maxEntries } = r.retention;
    // Without prune, retention can only be applied by each put.
    const putOptions = maxEntries !== undefined && !r.capabilities.prune ? { maxEntries } : NO_OPTIONS;
    const putMany = putOptions === NO_OPTIONS ? r.backend.putMany?.bind(r.backend) : undefined;
    let batch: PutRecord[] = [];
    let written = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      try {
        if (putMany) await putMany(r.ref, batch);
        else for (const record of batch) await r.backend.put(r.ref, record, putOptions);
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
      batch.push(
        importRecord(item, index, (key, value, taskId, updatedAt) =>
          this.prepare(r, key, value, taskId, updatedAt),
        ),
      );
      if (batch.length >= batchSize) await flush();
    }
    await flush();
    if (maxEntries !== undefined && putOptions === NO_OPTIONS) await this.prune({ maxEntries, ttlDays: 0 });
    return written;
  }

  /** Validates, serializes once, schema-checks and timestamps a write (put and import). */
  private prepare(
    r: ResolvedStore,
    key: unknown,
    value: unknown,
    taskId: unknown,
    updatedAt?: string,
  ): PutRecord {
    const k = validateKey(key);
    const json = serializeValue(value, this.runtime.maxValueBytes);
    // The schema judges exactly what is stored: the serialized text read back, not the caller's
    // object, which a Proxy could make answer differently the second time it is read.
    const stored = r.checkSchema ? (JSON.parse(json) as JsonValue) : (value as JsonValue);
    r.checkSchema?.(stored, k);
    return {
      key: k,
      value: stored,
      json,
      taskId: validateTaskId(taskId),
      updatedAt: updatedAt ?? toTimestamp(this.runtime.now()),
    };
  }

  /** `notBefore` for a store with a TTL: entries updated before it are invisible. */
  private cutoff(r: ResolvedStore): string | undefined {
    const ttl = r.retention.ttlDays;
    return ttl ? toTimestamp(this.runtime.now() - ttl * DAY_MS) : undefined;
  }

  private conflict(
    r: ResolvedStore,
    doing: string,
    key: string,
    condition: WriteCondition | undefined,
    currentVersion: number | undefined,
  ): ConflictError {
    const expected =
      condition?.ifVersion !== undefined ? `version ${condition.ifVersion}` : "no live entry (ifAbsent)";
    const found = currentVersion === undefined ? "no live entry" : `version ${currentVersion}`;
    return new ConflictError(
      `store "${r.ref.store}": ${doing}: expected ${expected}, found ${found}; nothing was written`,
      currentVersion,
      { store: r.ref.store, project: r.ref.project, key, ...condition },
    );
  }

  /** The cached resolution, unless the manager was closed since (then resolve() throws CLOSED). */
  private live(): ResolvedStore | undefined {
    return this.runtime.isClosed ? undefined : this.resolved;
  }

  private async resolve(): Promise<ResolvedStore> {
    this.resolved = await this.runtime.resolve(this.name, this.project);
    return this.resolved;
  }
}
