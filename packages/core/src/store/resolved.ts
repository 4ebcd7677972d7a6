import type { BackendCapabilities, BackendInstance } from "../contract/types";
import { StoreError, toStoreError } from "../errors";
import type { RetentionPolicy } from "../resources";
import type { StoreRef } from "../types";

/** Everything an op on one (store, project) needs, resolved once by the manager and cached. */
export interface ResolvedStore {
  readonly ref: StoreRef;
  readonly providerName: string;
  readonly backend: BackendInstance;
  /** The definition's capabilities as narrowed by the instance. */
  readonly capabilities: Readonly<BackendCapabilities>;
  readonly retention: Readonly<RetentionPolicy>;
  /** Throws SCHEMA_VIOLATION when `value` does not match the store's schema (compiled on first use). */
  readonly checkSchema?: (value: unknown, key: string) => void;
}

/** What a store handle needs from its manager: resolution, the clock and the value size limit. */
export interface StoreRuntime {
  resolve(store: string, project: string): ResolvedStore | Promise<ResolvedStore>;
  readonly now: () => number;
  readonly maxValueBytes: number;
  /** True once the manager is closed: cached resolutions are no longer used. */
  readonly isClosed: boolean;
}

export function unsupported(r: ResolvedStore, what: string): StoreError {
  return new StoreError(
    "UNSUPPORTED",
    `store "${r.ref.store}": provider "${r.providerName}" does not support ${what}`,
    { details: { store: r.ref.store, provider: r.providerName } },
  );
}

/** Any failure from a backend becomes a StoreError naming the store and what was being done. */
export function backendError(error: unknown, r: ResolvedStore, doing: string): StoreError {
  return toStoreError(
    error,
    "BACKEND_IO",
    `store "${r.ref.store}" (provider "${r.providerName}"): ${doing} failed`,
  );
}

/** A backend that broke the contract (entries out of order, no version…): PROVIDER_PROTOCOL. */
export function contractBroken(r: ResolvedStore, doing: string, what: string): StoreError {
  return new StoreError(
    "PROVIDER_PROTOCOL",
    `store "${r.ref.store}" (provider "${r.providerName}"): ${doing}: ${what}`,
    { details: { store: r.ref.store, provider: r.providerName } },
  );
}
