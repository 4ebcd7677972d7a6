import type { Database, Statement } from "better-sqlite3";

/** The columns of a listed entry, in the order of `ListRow`. */
const ENTRY = "key, value, created_at, updated_at, task_id, version";
/**
 * Statements that follow list order name the recency index outright: without statistics the planner
 * may prefer the key index for `key > ?` and scan a whole project.
 */
const RECENCY = "entries INDEXED BY entries_recency";
const IN_PROJECT = "store = @store AND project = @project";
/** List order from its end backwards: the oldest entry first, ties by key descending. */
const OLDEST_FIRST = "ORDER BY updated_at ASC, key DESC";
const NEWEST_FIRST = "ORDER BY updated_at DESC, key";

/**
 * The version a write of a key that does not exist takes: above the project's floor (every version it
 * ever removed), or the imported one (0 when the record has none).
 */
const NEW_VERSION = "max(coalesce((SELECT floor FROM projects WHERE store = ? AND project = ?), 0) + 1, ?)";
/**
 * The hot writes bind positional parameters, cheaper than named ones; their order is `upsertArgs` in
 * backend.ts: store, project, key, updated_at, store, project, imported, created_at, task_id, value,
 * imported.
 */
const UPSERT = `INSERT INTO entries (store, project, key, updated_at, version, created_at, task_id, value)
  VALUES (?, ?, ?, ?, ${NEW_VERSION}, ?, ?, ?)
  ON CONFLICT (store, project, key) DO UPDATE SET updated_at = excluded.updated_at,
    version = max(version, ?) + 1, task_id = excluded.task_id, value = excluded.value`;

/**
 * Every statement the backend runs. Reads bind positional parameters (the fastest to bind) and
 * return raw rows (arrays); writes bind named ones. Timestamps are epoch milliseconds; `notBefore` is
 * bound as NO_CUTOFF when the store has no TTL, so one statement serves both cases and stays an index
 * range scan.
 */
export const SQL = {
  begin: "BEGIN IMMEDIATE",
  commit: "COMMIT",
  rollback: "ROLLBACK",

  get: `SELECT value, created_at, updated_at, task_id, version FROM entries
    WHERE store = ? AND project = ? AND key = ? AND updated_at >= ?`,
  /** The stored row of a key, expired or not: what a condition and `nextVersion` look at. */
  current: "SELECT id, version, updated_at FROM entries WHERE store = ? AND project = ? AND key = ?",
  project: "SELECT n, floor FROM projects WHERE store = ? AND project = ?",

  /** Upsert resolving the version written (created_at: kept for an existing key). */
  upsert: `${UPSERT} RETURNING version`,
  /** Upsert that also sets created_at (import restoring an entry). */
  upsertWithCreated: `${UPSERT}, created_at = excluded.created_at RETURNING version`,
  /** ifAbsent in one statement: a new key, or over an expired entry (the last `?`: notBefore); a live one returns no row. */
  insertIfAbsent: `${UPSERT} WHERE entries.updated_at < ? RETURNING version`,
  /**
   * ifVersion in one statement: only over that version, live; otherwise no row. Binds updated_at,
   * task_id, value, store, project, key, the expected version, notBefore.
   */
  updateIfVersion: `UPDATE entries SET updated_at = ?, version = version + 1, task_id = ?, value = ?
    WHERE store = ? AND project = ? AND key = ? AND version = ? AND updated_at >= ? RETURNING version`,
  /** Writes a row found earlier in the same transaction, with the version computed there. */
  rewrite: `UPDATE entries SET key = @key, updated_at = @updatedAt, version = @version,
    created_at = coalesce(@createdAt, created_at), task_id = @taskId, value = @value WHERE id = @id`,
  insert: `INSERT INTO entries (store, project, key, updated_at, version, created_at, task_id, value)
    VALUES (@store, @project, @key, @updatedAt, @version, @createdAt, @taskId, @value)`,
  deleteById: "DELETE FROM entries WHERE id = ?",

  /** Starts counting a project's entries (retention needs the count; inserts keep it). */
  countProject: `INSERT INTO projects (store, project, n)
    VALUES (@store, @project, (SELECT count(*) FROM entries WHERE ${IN_PROJECT}))
    ON CONFLICT (store, project) DO UPDATE SET n = excluded.n`,
  /**
   * After removing `@removed` entries whose largest version was `@floor`: raises the floor, and lowers
   * a counted project's n, or sets it to `@count` when the caller knows the exact figure. Writes the
   * row only when something changes: retention that evicts one entry for one new key (most puts of a
   * full store) usually finds the floor already high enough, and saves a page per commit.
   */
  removed: `INSERT INTO projects (store, project, floor) VALUES (@store, @project, @floor)
    ON CONFLICT (store, project) DO UPDATE SET floor = max(floor, excluded.floor),
      n = CASE WHEN n IS NULL THEN NULL WHEN @count IS NULL THEN n - @removed ELSE @count END
    WHERE floor < excluded.floor OR (n IS NOT NULL AND (@removed <> 0 OR @count IS NOT NULL))`,

  /** The last entry in list order (the one retention drops first). */
  oldest: `SELECT id, updated_at, key, version FROM ${RECENCY} WHERE store = ? AND project = ? ${OLDEST_FIRST} LIMIT 1`,
  /** The largest version after the newest `?` entries: a covering scan of the recency index. */
  beyondTop: `SELECT max(version) FROM (SELECT version FROM ${RECENCY} WHERE store = ? AND project = ?
    ${NEWEST_FIRST} LIMIT -1 OFFSET ?)`,
  deleteBeyond: `DELETE FROM entries WHERE id IN (
    SELECT id FROM ${RECENCY} WHERE store = ? AND project = ? ${NEWEST_FIRST} LIMIT -1 OFFSET ?)`,
  olderTop: `SELECT max(version) FROM ${RECENCY} WHERE store = ? AND project = ? AND updated_at < ?`,
  deleteOlder: `DELETE FROM ${RECENCY} WHERE store = ? AND project = ? AND updated_at < ?`,

  /** The first page: read straight off the recency index. */
  list: `SELECT ${ENTRY} FROM ${RECENCY} WHERE store = ? AND project = ? AND updated_at >= ? ${NEWEST_FIRST} LIMIT ?`,
  /**
   * A page at an offset, as a deferred join: the offset is skipped in the recency index alone (it holds
   * the rowid), and only the page's rows are read from the table. CROSS JOIN keeps the page outermost,
   * so rows come out in its order.
   */
  listAt: `SELECT e.key, e.value, e.created_at, e.updated_at, e.task_id, e.version FROM (
      SELECT id FROM ${RECENCY} WHERE store = ? AND project = ? AND updated_at >= ? ${NEWEST_FIRST} LIMIT ? OFFSET ?
    ) AS page CROSS JOIN entries AS e ON e.id = page.id`,
  /** Keyset paging, part 1: the rest of the cursor's own timestamp, by key. */
  listTies: `SELECT ${ENTRY} FROM ${RECENCY} WHERE store = ? AND project = ? AND updated_at = ? AND key > ?
    AND updated_at >= ? ORDER BY key LIMIT ?`,
  /** Keyset paging, part 2: strictly older timestamps. Both parts are seeks into entries_recency. */
  listOlder: `SELECT ${ENTRY} FROM ${RECENCY} WHERE store = ? AND project = ? AND updated_at < ? AND updated_at >= ?
    ${NEWEST_FIRST} LIMIT ?`,
  /** Cursor plus offset: core never combines them, but the contract allows it. */
  listAfterOffset: `SELECT ${ENTRY} FROM ${RECENCY} WHERE store = ? AND project = ? AND updated_at <= ?
    AND (updated_at < ? OR key > ?) AND updated_at >= ? ${NEWEST_FIRST} LIMIT ? OFFSET ?`,

  checkpoint: "PRAGMA wal_checkpoint(PASSIVE)",
} as const;

export type Statements = Record<keyof typeof SQL, Statement>;

/** Statements whose rows are read as arrays (no object with column names built per row). */
const RAW = new Set<keyof typeof SQL>([
  "get",
  "current",
  "project",
  "oldest",
  "list",
  "listAt",
  "listTies",
  "listOlder",
  "listAfterOffset",
  "checkpoint",
]);
/** Statements that return one value. */
const PLUCK = new Set<keyof typeof SQL>([
  "upsert",
  "upsertWithCreated",
  "insertIfAbsent",
  "updateIfVersion",
  "beyondTop",
  "olderTop",
]);

/**
 * Every statement, each prepared on its first use and then kept: the hot paths only bind and step,
 * and a short-lived process (one CLI command) prepares only the two or three statements it runs.
 */
export function prepareStatements(db: Database): Statements {
  const statements = {} as Statements;
  for (const [name, sql] of Object.entries(SQL) as [keyof typeof SQL, string][]) {
    Object.defineProperty(statements, name, {
      configurable: true,
      enumerable: true,
      get() {
        const statement = db.prepare(sql);
        if (RAW.has(name)) statement.raw(true);
        else if (PLUCK.has(name)) statement.pluck(true);
        Object.defineProperty(statements, name, { value: statement, enumerable: true });
        return statement;
      },
    });
  }
  return statements;
}

/**
 * Runs a write with `RETURNING version` and resolves the version (`undefined`: it wrote nothing). It
 * steps the statement to its end with `all()`: SQLite runs its WAL hook, and so the automatic
 * checkpoint, only when a statement finishes stepping, and `get()` resets it after the first row, so
 * autocommit writes through `get()` never checkpoint and the WAL grows without bound.
 */
export function written(statement: Statement, ...args: unknown[]): number | undefined {
  return (statement.all(...args) as number[])[0];
}
