/**
 * @store/core, for users: the store manager and its handles, manifests, resources, errors and types.
 * Backend authors import from "@store/core/backend". Every name here is documented in the README;
 * api/core.api.md records the whole surface.
 */

export {
  ConflictError,
  formatIssue,
  ManifestError,
  type ManifestIssue,
  StoreError,
  type StoreErrorCode,
  type StoreErrorOptions,
} from "./errors";
export { type LazyBackend, StoreManager, type StoreManagerOptions } from "./manager";
export {
  API_VERSIONS,
  BASE_DIR_ANNOTATION,
  KINDS,
  loadManifests,
  type ManifestInput,
  mergeResources,
  parseManifests,
} from "./manifest/index";
export { BUILTIN_PROVIDERS, DEFAULT_PROVIDER } from "./plugins";
export {
  type LoadedDocument,
  type ManifestDocument,
  type ProviderMode,
  ResourceSet,
  type RetentionPolicy,
  type SourceLocation,
  type StoreBackendProviderConfig,
  type WorkflowStoreConfig,
} from "./resources";
export {
  type ImportOptions,
  type ListPage,
  type StoreDeleteOptions,
  StoreHandle,
  type StorePutOptions,
} from "./store/handle";
export type { ImportEntry } from "./store/import-record";
export type { EntryReader } from "./store/reader";
export { SKIP_UPDATE, type UpdateFunction, type UpdateOptions, type UpdateResult } from "./store/update";
export { closestName, printable } from "./text";
export type {
  JsonValue,
  PutResult,
  ResultOf,
  StoreEntry,
  StoreOp,
  StoreOpResult,
  WriteCondition,
} from "./types";
export { decodeUtf8 } from "./utf8";
export { LIMITS, parseJsonValue } from "./validate";
