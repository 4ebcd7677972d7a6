import type { PutRecord, StoreRef } from "@store/core/backend";
import { encodeKey } from "./key-encoding";
import { toMillis } from "./timestamps";

/** A record as the write statements bind it (named parameters). */
export interface WriteParams {
  store: string;
  project: string;
  /** The key in its stored form. */
  key: string;
  updatedAt: number;
  /** The record's createdAt, else its updatedAt: what a new entry gets. */
  createdAt: number;
  taskId: string;
  value: string;
  /** The imported version, 0 when the record has none (every version is at least 1). */
  imported: number;
  /** The TTL cutoff for conditions; NO_CUTOFF without a TTL. */
  notBefore: number;
}

export function writeParams(ref: StoreRef, record: PutRecord, notBefore: number): WriteParams {
  const updatedAt = toMillis(record.updatedAt);
  return {
    store: ref.store,
    project: ref.project,
    key: encodeKey(record.key),
    updatedAt,
    createdAt: record.createdAt === undefined ? updatedAt : toMillis(record.createdAt),
    taskId: record.taskId,
    value: record.json,
    imported: record.version ?? 0,
    notBefore,
  };
}

/** The parameters of `upsert` and `upsertWithCreated`, in their order (see statements.ts). */
export function upsertArgs(w: WriteParams): unknown[] {
  return [
    w.store,
    w.project,
    w.key,
    w.updatedAt,
    w.store,
    w.project,
    w.imported,
    w.createdAt,
    w.taskId,
    w.value,
    w.imported,
  ];
}
