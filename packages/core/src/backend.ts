import { StoreError } from "./errors";
import type { JsonValue, ListCursor, StoreEntry, StoreRef } from "./types";

/**
 * The version of the backend contract this copy of core implements. A plugin declares the version it
 * was written against; core refuses a version it does not know rather than guessing.
 */
export const BACKEND_SPECIFICATION_VERSION = "v1" as const;
export type BackendSpecificationVersion = typeof BACKEND_SPECIFICATION_VERSION;

export type Awaitable<T> = T | Promise<T>;

/** What a backend does natively. Core fills in the rest, so every backend behaves the same. */
export interface BackendCapabilities {
  /** `put` applies `maxEntries` itself, atomically; otherwise core runs a prune after each put. */
  retentionOnPut: boolean;
  /** `list` honours `after` (keyset paging). Without it, cursors are UNSUPPORTED. */
  cursor: boolean;
  /** `prune` is implemented. Without it, prune and retention are UNSUPPORTED. */
  prune: boolean;
  /** `get`/`list` honour `notBefore`. Core filters expired entries either way. */
  ttlFilter: boolean;
  /** The backend keeps the timestamps core gives it, so import preserves them and a fake clock works. */
  preservesTimestamps: boolean;
  /** `putMany` writes a batch in one transaction (import). Core falls back to one put at a time. */
  putMany: boolean;
}

/** A write as core hands it to a backend: validated, checked against the schema, timestamped. */
export interface PutRecord {
  key: string;
  value: JsonValue;
  /** `value` serialized once by core; backends that store text should store exactly this. */
  json: string;
  taskId: string;
  updatedAt: string;
  /** Set by import to restore an entry's creation time; otherwise an upsert keeps the existing one. */
  createdAt?: string;
}

export interface PutOptions {
  /** Only passed to backends with `retentionOnPut`: keep at most this many entries in the project. */
  maxEntries?: number;
}

export interface GetQuery {
  /** Entries with `updatedAt` before this instant are expired; a backend may skip them. */
  notBefore?: string;
}

export interface ListQuery {
  limit: number;
  offset: number;
  /** Keyset paging: return entries strictly after this position (only with `capabilities.cursor`). */
  after?: ListCursor;
  notBefore?: string;
}

export interface PruneQuery {
  /** Keep the newest `maxEntries` (by updatedAt, then key), remove the rest. */
  maxEntries?: number;
  /** Remove entries whose `updatedAt` is before this instant. */
  olderThan?: string;
}

/**
 * One backend instance, serving every store and project routed to its provider. Core has validated all
 * arguments before a method is called. List order is newest `updatedAt` first, ties by key ascending
 * (by UTF-16 code units, as JavaScript compares strings).
 */
export interface BackendInstance {
  get(ref: StoreRef, key: string, query: GetQuery): Awaitable<StoreEntry | undefined>;
  /** Upsert. Keeps `createdAt` of an existing entry unless the record sets it. */
  put(ref: StoreRef, record: PutRecord, options: PutOptions): Awaitable<void>;
  /** Idempotent; resolves whether the key existed. */
  delete(ref: StoreRef, key: string): Awaitable<boolean>;
  list(ref: StoreRef, query: ListQuery): Awaitable<StoreEntry[]>;
  /** Resolves how many entries were removed. */
  prune(ref: StoreRef, query: PruneQuery): Awaitable<number>;
  /** Writes many records at once, keeping their timestamps (import). */
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

/** A JSON Schema for a backend's options; core validates options against it before `create`. */
export type OptionsSchema = Record<string, unknown>;

export interface BackendDefinition<Options = Record<string, unknown>> {
  readonly name: string;
  readonly specificationVersion: BackendSpecificationVersion;
  readonly capabilities: Readonly<BackendCapabilities>;
  readonly optionsSchema?: OptionsSchema;
  create(options: Options, context: BackendContext): Awaitable<BackendInstance>;
}

export interface DefineBackendInput<Options> {
  name: string;
  specificationVersion: BackendSpecificationVersion;
  capabilities?: Partial<BackendCapabilities>;
  optionsSchema?: OptionsSchema;
  create(options: Options, context: BackendContext): Awaitable<BackendInstance>;
}

const marker = Symbol.for("@store/core.backend");

const NO_CAPABILITIES: BackendCapabilities = {
  retentionOnPut: false,
  cursor: false,
  prune: true,
  ttlFilter: false,
  preservesTimestamps: true,
  putMany: false,
};

/** Declares a backend. First- and third-party backends use this same helper. */
export function defineBackend<Options = Record<string, unknown>>(
  input: DefineBackendInput<Options>,
): BackendDefinition<Options> {
  if (typeof input.name !== "string" || input.name.length === 0) {
    throw new StoreError("INVALID_ARGUMENT", "defineBackend: `name` must be a non-empty string");
  }
  if (input.specificationVersion !== BACKEND_SPECIFICATION_VERSION) {
    throw new StoreError(
      "UNSUPPORTED",
      `defineBackend(${input.name}): specificationVersion ${JSON.stringify(input.specificationVersion)} is not supported by this @store/core (it implements ${BACKEND_SPECIFICATION_VERSION})`,
    );
  }
  if (typeof input.create !== "function") {
    throw new StoreError("INVALID_ARGUMENT", `defineBackend(${input.name}): \`create\` must be a function`);
  }
  return Object.freeze({
    [marker]: true,
    name: input.name,
    specificationVersion: input.specificationVersion,
    capabilities: Object.freeze({ ...NO_CAPABILITIES, ...input.capabilities }),
    optionsSchema: input.optionsSchema,
    create: input.create,
  });
}

/** Recognises a backend definition, also one made by another installed copy of core. */
export function isBackendDefinition(value: unknown): value is BackendDefinition<unknown> {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[marker] === true;
}
