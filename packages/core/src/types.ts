/** Any JSON value. A stored `null` is a value, distinct from an absent key. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** One entry as every backend returns it. Timestamps are RFC 3339 UTC with milliseconds. */
export interface StoreEntry {
  key: string;
  value: JsonValue;
  /** When the key was first written (kept across upserts). */
  createdAt: string;
  /** When the key was last written. */
  updatedAt: string;
  /** The task that wrote it last; may be empty. */
  taskId: string;
}

/** The operations of brief §3, as a discriminated union on `op`. `project` defaults to "". */
export type StoreOp =
  | { op: "get"; store: string; project?: string; key: string }
  | { op: "put"; store: string; project?: string; key: string; value: JsonValue; taskId?: string }
  | { op: "delete"; store: string; project?: string; key: string }
  | { op: "list"; store: string; project?: string; limit?: number; offset?: number }
  | { op: "prune"; store: string; project?: string; maxEntries?: number; ttlDays?: number };

export type StoreOpResult =
  | { op: "get"; found: true; value: JsonValue }
  | { op: "get"; found: false }
  | { op: "put"; entry: StoreEntry }
  | { op: "delete"; existed: boolean }
  | { op: "list"; entries: StoreEntry[] }
  | { op: "prune"; removed: number };

/** The result type that belongs to an op, so `execute({ op: "list", … })` is typed as a list result. */
export type ResultOf<O extends StoreOp> = Extract<StoreOpResult, { op: O["op"] }>;

/** Where keys live inside a backend: a store and a project within it. */
export interface StoreRef {
  store: string;
  /** "" is the default project. */
  project: string;
  /** `spec.base_path` of the WorkflowStore, for backends that keep files (relative to the data dir). */
  basePath?: string;
}

/** A position in list order (newest first, ties by key), for keyset paging. */
export interface ListCursor {
  updatedAt: string;
  key: string;
}
