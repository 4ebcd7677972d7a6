import type { PoolClient } from "pg";
import type { Connection } from "./connection";
import { errors, failureOf } from "./errors";
import { APPLIED_NOTICE, POSTGRES_SCHEMA_VERSION, postgresMigrationSql, quoteSchema } from "./migrations";

/** What starting the backend found and did to the schema. */
export interface MigrationOutcome {
  /** The schema version found (0: no schema or no tables yet). */
  from: number;
  /** The version it has now: POSTGRES_SCHEMA_VERSION. */
  to: number;
  /** The migrations this process applied; empty when another process (or a DBA) had applied them. */
  applied: number[];
}

const HOW_TO_APPLY =
  "apply the SQL of postgresMigrationSql() (or `wfstore migrations print --provider NAME`) as a role that may create it";

async function readVersion(connection: Connection): Promise<number> {
  const schema = connection.server.schema;
  try {
    const result = await connection.pool.query<[number | null]>({
      text: `SELECT max(version) FROM ${quoteSchema(schema)}.schema_migrations`,
      rowMode: "array",
    });
    return Number(result.rows[0]?.[0] ?? 0);
  } catch (error) {
    if (failureOf(error, connection.redact).kind === "schema") return 0; // no schema or no table yet
    throw connection.failed(error, `checking the version of schema "${schema}"`, {}, false);
  }
}

async function apply(connection: Connection): Promise<number[]> {
  const schema = connection.server.schema;
  const doing = `migrating schema "${schema}"`;
  const applied: number[] = [];
  const onNotice = (notice: { message?: string }) => {
    const m = APPLIED_NOTICE.exec(notice.message ?? "");
    if (m) applied.push(Number(m[1]));
  };
  let client: PoolClient;
  try {
    client = await connection.pool.connect();
  } catch (error) {
    throw connection.failed(error, doing, {}, false);
  }
  client.on("notice", onNotice);
  let failure: unknown;
  try {
    // Several statements in one simple query: one round trip, one transaction (BEGIN … COMMIT).
    await client.query(postgresMigrationSql({ schema }));
  } catch (error) {
    failure = error;
  } finally {
    client.removeListener("notice", onNotice);
    // After a failure the connection may sit in an aborted transaction: drop it.
    client.release(failure instanceof Error ? failure : undefined);
  }
  if (failure !== undefined) {
    if (failureOf(failure, connection.redact).kind === "privilege") {
      throw errors.error(
        "BACKEND_IO",
        `${doing} failed: ${failureOf(failure, connection.redact).message}. The database user may not change the schema: ${HOW_TO_APPLY}, then set the option migrate to false`,
        { details: { schema, failure: "privilege" } },
      );
    }
    throw connection.failed(failure, doing, {}, true);
  }
  return applied;
}

/**
 * Makes sure the schema is at POSTGRES_SCHEMA_VERSION before any operation runs. The check is one
 * cheap query; migrating happens under an advisory lock, so many workers may start at once and each
 * migration is applied once. With `migrate` off, a missing or older schema is an error that says how
 * to create it.
 */
export async function ensureSchema(connection: Connection, migrate: boolean): Promise<MigrationOutcome> {
  const schema = connection.server.schema;
  const from = await readVersion(connection);
  if (from === POSTGRES_SCHEMA_VERSION) return { from, to: from, applied: [] };
  if (from > POSTGRES_SCHEMA_VERSION) {
    throw errors.error(
      "BACKEND_IO",
      `schema "${schema}" is at version ${from}, written by a newer @store/backend-postgres (this release knows version ${POSTGRES_SCHEMA_VERSION}): upgrade the package`,
      { details: { schema, version: from, known: POSTGRES_SCHEMA_VERSION } },
    );
  }
  if (!migrate) {
    const found = from === 0 ? "has no tables of @store/backend-postgres" : `is at version ${from}`;
    throw errors.error(
      "BACKEND_IO",
      `schema "${schema}" ${found}, and this release needs version ${POSTGRES_SCHEMA_VERSION}; automatic migration is off (migrate: false): ${HOW_TO_APPLY}, or turn migrate on`,
      { details: { schema, version: from, required: POSTGRES_SCHEMA_VERSION } },
    );
  }
  const applied = await apply(connection);
  const to = await readVersion(connection);
  if (to !== POSTGRES_SCHEMA_VERSION) {
    throw errors.error(
      "BACKEND_IO",
      `migrating schema "${schema}" left it at version ${to} instead of ${POSTGRES_SCHEMA_VERSION}`,
      { details: { schema, version: to, required: POSTGRES_SCHEMA_VERSION } },
    );
  }
  return { from, to, applied };
}
