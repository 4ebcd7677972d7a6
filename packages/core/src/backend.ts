/**
 * @store/core/backend: everything a backend author needs, and nothing a store user does. A backend
 * package peers on @store/core and imports only from here (docs/writing-a-backend.md).
 */

export { type DefineBackendInput, defineBackend, isBackendDefinition } from "./contract/define";
export { type BackendErrors, backendErrors, type ErrorTarget } from "./contract/errors";
export {
  type Awaitable,
  BACKEND_SPECIFICATION_VERSION,
  type BackendCapabilities,
  type BackendContext,
  type BackendDefinition,
  type BackendInstance,
  type BackendSpecificationVersion,
  type CapabilityName,
  type Conflict,
  type DeleteOptions,
  type GetQuery,
  type ListQuery,
  NO_CAPABILITIES,
  type OptionsSchema,
  type PruneQuery,
  type PutOptions,
  type PutRecord,
  type SnapshotQuery,
  type SnapshotReader,
} from "./contract/types";
export { conflict, isConflict, nextVersion } from "./contract/versions";
export { StoreError, type StoreErrorCode } from "./errors";
export { compareKeys, compareListOrder, isAfter } from "./order";
export { printable, quoteStart } from "./text";
export { normalizeTimestamp } from "./time";
export type { JsonValue, ListCursor, StoreEntry, StoreRef } from "./types";
export { decodeUtf8 } from "./utf8";
export { isValidKey, LIMITS } from "./validate";
