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
  /** A positive integer that grows with every write of the key; `ifVersion` compares against it. */
  version: number;
}

/** Conditions of a write: at most one of them. A failed condition is a CONFLICT and writes nothing. */
export interface WriteCondition {
  /** Write only if the live entry has exactly this version. */
  ifVersion?: number;
  /** Write only if no live entry exists (an expired entry counts as absent). */
  ifAbsent?: boolean;
}

/** The operations of a store, as a discriminated union on `op`. `project` defaults to "". */
export type StoreOp =
  | { op: "get"; store: string; project?: string; key: string }
  | ({
      op: "put";
      store: string;
      project?: string;
      key: string;
      value: JsonValue;
      taskId?: string;
    } & WriteCondition)
  | { op: "delete"; store: string; project?: string; key: string; ifVersion?: number }
  | { op: "list"; store: string; project?: string; limit?: number; offset?: number }
  | { op: "prune"; store: string; project?: string; maxEntries?: number; ttlDays?: number };

export type StoreOpResult =
  | { op: "get"; found: true; value: JsonValue; version: number }
  | { op: "get"; found: false }
  | { op: "put"; entry: PutResult }
  | { op: "delete"; existed: boolean }
  | { op: "list"; entries: StoreEntry[] }
  | { op: "prune"; removed: number };

/** The result type that belongs to an op, so `execute({ op: "list", … })` is typed as a list result. */
export type ResultOf<O extends StoreOp> = Extract<StoreOpResult, { op: O["op"] }>;

/** What a put wrote. */
export interface PutResult {
  key: string;
  version: number;
  updatedAt: string;
  taskId: string;
}

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
