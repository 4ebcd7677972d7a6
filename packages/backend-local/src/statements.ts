import type { Database, Statement } from "better-sqlite3";

const COLUMNS = "key, value, created_at, updated_at, task_id";
/**
 * Statements that follow list order name the recency index outright: without statistics the planner
 * may prefer the primary key for `key > ?` and scan a whole project.
 */
const RECENCY = "entries INDEXED BY entries_recency";
const UPSERT = `INSERT INTO entries (store, project, key, value, task_id, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (store, project, key) DO UPDATE SET
    value = excluded.value, task_id = excluded.task_id, updated_at = excluded.updated_at`;

/**
 * Every statement the backend runs. Parameters are positional (the fastest to bind); `notBefore` is
 * bound as "" when there is no TTL: every timestamp is >= "", so one statement serves both cases and
 * stays an index range scan.
 */
export const SQL = {
  begin: "BEGIN IMMEDIATE",
  commit: "COMMIT",
  rollback: "ROLLBACK",
  get: "SELECT value, created_at, updated_at, task_id FROM entries WHERE store = ? AND project = ? AND key = ? AND updated_at >= ?",
  /** An upsert that keeps an existing entry's created_at (a new entry gets the bound one). */
  upsert: UPSERT,
  /** An upsert that sets created_at (import restoring an entry). */
  upsertWithCreated: `${UPSERT}, created_at = excluded.created_at`,
  /** Updates an existing entry only (created_at kept unless one is bound); changes 0 for a new key. */
  updateExisting: `UPDATE entries SET value = ?, task_id = ?, updated_at = ?, created_at = coalesce(?, created_at)
    WHERE store = ? AND project = ? AND key = ?`,
  /**
   * A new key in a full project takes the place of the last entry in list order, in one UPDATE: no row
   * is inserted or deleted, so the count is not touched, and fewer pages change than with an insert
   * plus a delete. When the new entry would itself be last, nothing matches: it would be evicted at once.
   */
  recycleOldest: `UPDATE entries SET key = ?, value = ?, task_id = ?, created_at = ?, updated_at = ?
    WHERE store = ? AND project = ? AND key = (
      SELECT key FROM (
        SELECT key, updated_at FROM ${RECENCY} WHERE store = ? AND project = ? ORDER BY updated_at ASC, key DESC LIMIT 1)
      WHERE updated_at < ? OR (updated_at = ? AND key > ?))`,
  deleteKey: "DELETE FROM entries WHERE store = ? AND project = ? AND key = ?",
  list: `SELECT ${COLUMNS} FROM ${RECENCY} WHERE store = ? AND project = ? AND updated_at >= ?
    ORDER BY updated_at DESC, key LIMIT ? OFFSET ?`,
  /** Keyset paging, part 1: the rest of the cursor's own timestamp, by key. */
  listTies: `SELECT ${COLUMNS} FROM ${RECENCY} WHERE store = ? AND project = ? AND updated_at = ? AND key > ?
    AND updated_at >= ? ORDER BY key LIMIT ?`,
  /** Keyset paging, part 2: strictly older timestamps. Both parts are seeks into entries_recency. */
  listOlder: `SELECT ${COLUMNS} FROM ${RECENCY} WHERE store = ? AND project = ? AND updated_at < ? AND updated_at >= ?
    ORDER BY updated_at DESC, key LIMIT ?`,
  /** Cursor plus offset: core never combines them, but the contract allows it. */
  listAfterOffset: `SELECT ${COLUMNS} FROM ${RECENCY} WHERE store = ? AND project = ? AND updated_at <= ?
    AND (updated_at < ? OR key > ?) AND updated_at >= ? ORDER BY updated_at DESC, key LIMIT ? OFFSET ?`,
  count: "SELECT n FROM entry_counts WHERE store = ? AND project = ?",
  startCount:
    "INSERT INTO entry_counts (store, project, n) SELECT ?, ?, count(*) FROM entries WHERE store = ? AND project = ?",
  /** Removes the oldest entry (the end of list order). */
  deleteOldestOne: `DELETE FROM entries WHERE store = ? AND project = ? AND key = (
    SELECT key FROM ${RECENCY} WHERE store = ? AND project = ? ORDER BY updated_at ASC, key DESC LIMIT 1)`,
  /** Removes the oldest `?` entries, walking entries_recency backwards from the end of list order. */
  deleteOldest: `DELETE FROM entries WHERE store = ? AND project = ? AND key IN (
    SELECT key FROM ${RECENCY} WHERE store = ? AND project = ? ORDER BY updated_at ASC, key DESC LIMIT ?)`,
  /** Removes everything after the newest `?` entries, for a project that has no count. */
  deleteBeyond: `DELETE FROM entries WHERE store = ? AND project = ? AND key IN (
    SELECT key FROM ${RECENCY} WHERE store = ? AND project = ? ORDER BY updated_at DESC, key LIMIT -1 OFFSET ?)`,
  deleteOlder: `DELETE FROM ${RECENCY} WHERE store = ? AND project = ? AND updated_at < ?`,
  checkpoint: "PRAGMA wal_checkpoint(PASSIVE)",
} as const;

export type Statements = Record<keyof typeof SQL, Statement>;

/** Prepares every statement once, when the backend starts; the hot paths only bind and step. */
export function prepareStatements(db: Database): Statements {
  const q = (sql: string) => db.prepare(sql);
  return {
    begin: q(SQL.begin),
    commit: q(SQL.commit),
    rollback: q(SQL.rollback),
    // Raw mode: rows as arrays, no object with column names built per row.
    get: q(SQL.get).raw(true),
    upsert: q(SQL.upsert),
    upsertWithCreated: q(SQL.upsertWithCreated),
    updateExisting: q(SQL.updateExisting),
    recycleOldest: q(SQL.recycleOldest),
    deleteKey: q(SQL.deleteKey),
    list: q(SQL.list).raw(true),
    listTies: q(SQL.listTies).raw(true),
    listOlder: q(SQL.listOlder).raw(true),
    listAfterOffset: q(SQL.listAfterOffset).raw(true),
    count: q(SQL.count).pluck(),
    startCount: q(SQL.startCount),
    deleteOldestOne: q(SQL.deleteOldestOne),
    deleteOldest: q(SQL.deleteOldest),
    deleteBeyond: q(SQL.deleteBeyond),
    deleteOlder: q(SQL.deleteOlder),
    checkpoint: q(SQL.checkpoint).raw(true),
  };
}
