import { quoteSchema } from "./migrations";

/** The columns of an entry, in the order the read statements return them. */
const ENTRY = "key, value, created_at, updated_at, task_id, version";

/**
 * The SQL of every operation for one schema. Parameters:
 * - get: store, project, key, notBefore ('' for none)
 * - list: store, project, notBefore, limit, offset
 * - listAfter: store, project, notBefore, cursor updated_at, cursor key_order, limit, offset
 * - put: see `put_entry` (store, project, key, key_order, value, task_id, updated_at, created_at,
 *   imported version, ifVersion, ifAbsent, notBefore, maxEntries)
 * - delete: store, project, key, ifVersion, notBefore
 * - prune: store, project, maxEntries, olderThan
 * - putMany: store, project, then one array per column (see `put_many`)
 * - snapshot: store, project, notBefore; the query of an export's cursor (not prepared: DECLARE
 *   takes it as text)
 */
export interface PostgresStatements {
  get: string;
  list: string;
  listAfter: string;
  put: string;
  delete: string;
  prune: string;
  putMany: string;
  snapshot: string;
}

export function postgresStatements(schema: string): PostgresStatements {
  const s = quoteSchema(schema);
  return {
    get: `SELECT ${ENTRY} FROM ${s}.entries WHERE store = $1 AND project = $2 AND key = $3 AND updated_at >= $4`,
    // Pages walk the list-order index, whatever the planner knows (see list_entries).
    list: `SELECT ${ENTRY} FROM ${s}.list_entries($1, $2, $3, NULL, NULL, $4, $5)`,
    // Keyset: strictly after (updated_at, key) in list order; the index seeks to the cursor.
    listAfter: `SELECT ${ENTRY} FROM ${s}.list_entries($1, $2, $3, $4, $5, $6, $7)`,
    put: `SELECT written, current_version FROM ${s}.put_entry($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    delete: `SELECT existed, conflicted, current_version FROM ${s}.delete_entry($1, $2, $3, $4, $5)`,
    prune: `SELECT ${s}.prune_entries($1, $2, $3, $4)`,
    putMany: `SELECT ${s}.put_many($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    // The same rows and order as list_entries, streamed: the cursor walks the list-order index.
    snapshot: `SELECT ${ENTRY} FROM ${s}.entries WHERE (store || '/' || project) = $1 || '/' || $2 AND updated_at >= $3 ORDER BY updated_at DESC, key_order`,
  };
}

/**
 * Names for prepared statements: each connection parses and plans a statement once, then only binds
 * parameters. The schema is part of the name, as one pool may serve backends on several schemas.
 */
export type PreparedStatement = Exclude<keyof PostgresStatements, "snapshot">;

export function statementNames(schema: string): Record<PreparedStatement, string> {
  const name = (op: string) => `wfstore.${schema}.${op}.v1`;
  return {
    get: name("get"),
    list: name("list"),
    listAfter: name("list-after"),
    put: name("put"),
    delete: name("delete"),
    prune: name("prune"),
    putMany: name("put-many"),
  };
}
