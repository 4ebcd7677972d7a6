import type { JsonValue, ListCursor, StoreEntry, StoreRef } from "../types";

/**
 * The version of the backend contract this copy of core implements. A backend declares the version it
 * was written against; core refuses any other, naming the upgrade (docs/writing-a-backend.md).
 */
export const BACKEND_SPECIFICATION_VERSION = "v2" as const;
export type BackendSpecificationVersion = typeof BACKEND_SPECIFICATION_VERSION;

export type Awaitable<T> = T | Promise<T>;

/**
 * What a backend does natively and correctly. Core reads every flag: it emulates what a backend lacks,
 * or refuses the operation with UNSUPPORTED before anything is written. All default to false. The
 * testkit checks each declared flag against the backend instance itself.
 */
export interface BackendCapabilities {
  /**
   * `put` receives `maxEntries` and trims the project in the same atomic step. Without it core runs
   * `prune({ maxEntries })` after each put of a store with `max_entries` (which then needs `prune`).
   */
  retentionOnPut: boolean;
  /**
   * `list` honours `after` (keyset paging, a seek rather than a scan). Without it core pages by offset
   * and checks that every page moves forward.
   */
  cursor: boolean;
  /**
   * `prune` is implemented. Without it the prune op is UNSUPPORTED, and a store with `max_entries` on
   * a backend without `retentionOnPut` is refused when it is resolved, before any write.
   */
  prune: boolean;
  /**
   * `put` and `delete` honour `ifVersion` / `ifAbsent`, checking and writing in one atomic step.
   * Without it conditional writes (and `update`) are UNSUPPORTED.
   */
  conditionalWrites: boolean;
}

export type CapabilityName = keyof BackendCapabilities;

/** Every capability off: what a backend gets for each flag it does not declare. */
export const NO_CAPABILITIES: Readonly<BackendCapabilities> = Object.freeze({
  retentionOnPut: false,
  cursor: false,
  prune: false,
  conditionalWrites: false,
});

/** A write as core hands it to a backend: validated, checked against the schema, timestamped. */
export interface PutRecord {
  key: string;
  value: JsonValue;
  /** `value` serialized once by core; backends that store text store exactly this. */
  json: string;
  taskId: string;
  updatedAt: string;
  /** Set by import to restore an entry's creation time; otherwise an upsert keeps the existing one. */
  createdAt?: string;
  /**
   * Set by import: the version the entry had where it was exported. See `nextVersion` for the
   * version a backend stores.
   */
  version?: number;
}

export interface PutOptions {
  /** Only with `retentionOnPut`: after the write, keep at most this many entries in the project. */
  maxEntries?: number;
  /**
   * The TTL cutoff: an entry updated before this instant is expired, and counts as absent for
   * `ifAbsent` and `ifVersion`. Set whenever the store has a TTL.
   */
  notBefore?: string;
  /** Only with `conditionalWrites`: write only if the live entry has exactly this version. */
  ifVersion?: number;
  /** Only with `conditionalWrites`: write only if no live entry exists. */
  ifAbsent?: boolean;
}

export interface DeleteOptions {
  /** The TTL cutoff, as for put: an expired entry does not match `ifVersion`. */
  notBefore?: string;
  /** Only with `conditionalWrites`: delete only if the live entry has exactly this version. */
  ifVersion?: number;
}

export interface GetQuery {
  /** Entries with `updatedAt` before this instant are expired: return `undefined` for them. */
  notBefore?: string;
}

export interface ListQuery {
  /** At most this many entries (1..1000). */
  limit: number;
  /** Skip this many entries first. Always 0 when `after` is set. */
  offset: number;
  /** Only with `cursor`: entries strictly after this position in list order. */
  after?: ListCursor;
  /** Entries with `updatedAt` before this instant are expired: skip them. */
  notBefore?: string;
}

export interface PruneQuery {
  /** Keep the newest `maxEntries` (by updatedAt, then key), remove the rest. */
  maxEntries?: number;
  /** Remove entries whose `updatedAt` is before this instant. */
  olderThan?: string;
}

/** What `snapshot` is asked for: the visible entries of one project. */
export interface SnapshotQuery {
  /** Entries with `updatedAt` before this instant are expired: leave them out. */
  notBefore?: string;
}

/**
 * The entries of one project as they were when the snapshot was opened, read forward in list order
 * (export). Core reads it to the end or stops early, and calls `close` exactly once either way.
 */
export interface SnapshotReader {
  /** The next entries, at most `limit` (1..1000); an empty array once every entry was read. */
  read(limit: number): Awaitable<StoreEntry[]>;
  /** Releases what the snapshot holds (a transaction, a connection). */
  close(): Awaitable<void>;
}

/** What a conditional write found instead of what it expected; nothing was written. */
export interface Conflict {
  readonly conflict: true;
  /** The version of the live entry, or `undefined` when there is none (absent or expired). */
  readonly currentVersion: number | undefined;
}

/**
 * One backend instance, serving every store and project routed to its provider. Core has validated
 * every argument before a method is called, and never passes an option whose capability the backend
 * did not declare.
 *
 * List order is newest `updatedAt` first, ties by key ascending in UTF-16 code unit order (as
 * JavaScript's `<` compares strings). Timestamps are core's, stored as given.
 *
 * Versions: every write stores `nextVersion(current, floor, record.version)`, where `current` is the
 * stored version of the key (expired or not) and `floor` is at least every version the backend ever
 * removed from that project (delete, prune, retention): a deleted and re-created key never repeats a
 * version, so a writer holding a stale version cannot win.
 */
export interface BackendInstance {
  /**
   * Narrows the definition's capabilities for this instance (a provider whose configuration lacks
   * something). Read once, after `create`; a flag the definition does not declare stays off.
   */
  readonly capabilities?: Partial<BackendCapabilities>;
  get(ref: StoreRef, key: string, query: GetQuery): Awaitable<StoreEntry | undefined>;
  /** Upsert. Keeps `createdAt` of an existing entry unless the record sets it. Resolves the version written. */
  put(ref: StoreRef, record: PutRecord, options: PutOptions): Awaitable<number | Conflict>;
  /** Idempotent; resolves whether a live entry existed. */
  delete(ref: StoreRef, key: string, options: DeleteOptions): Awaitable<boolean | Conflict>;
  list(ref: StoreRef, query: ListQuery): Awaitable<StoreEntry[]>;
  /** Required with the `prune` capability. Resolves how many entries were removed. */
  prune?(ref: StoreRef, query: PruneQuery): Awaitable<number>;
  /**
   * Optional: opens a consistent snapshot of the project for export, so that writes landing during an
   * export neither hide an entry nor show it twice. Without it core exports by keyset pages, each
   * consistent on its own (an entry rewritten meanwhile moves to the front and can be missed).
   */
  snapshot?(ref: StoreRef, query: SnapshotQuery): Awaitable<SnapshotReader>;
  /** Optional: writes many records at once, in one transaction where it can (import). */
  putMany?(ref: StoreRef, records: PutRecord[]): Awaitable<void>;
  close(): Awaitable<void>;
}

export interface BackendContext {
  /** The data directory; builtin backends keep their data under it. Absolute. */
  dataDir: string;
  /** The provider this instance serves (e.g. `local`, or a StoreBackendProvider's name). */
  providerName: string;
  /** The directory relative paths in the provider's options resolve against. Absolute. */
  baseDir: string;
  /** The manager's clock, in epoch milliseconds. */
  now(): number;
  warn(message: string): void;
}

/** A JSON Schema for a backend's options (camelCase names); core validates options against it. */
export type OptionsSchema = Record<string, unknown>;

export interface BackendDefinition<Options = Record<string, unknown>> {
  readonly name: string;
  readonly specificationVersion: BackendSpecificationVersion;
  readonly capabilities: Readonly<BackendCapabilities>;
  readonly optionsSchema?: OptionsSchema;
  create(options: Options, context: BackendContext): Awaitable<BackendInstance>;
}
