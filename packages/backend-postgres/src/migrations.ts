import { DEFAULT_SCHEMA, resolveOptions } from "./options";
import { schemaVersion1 } from "./schema-sql";

export interface Migration {
  version: number;
  description: string;
  /** The statements, for the schema given as a quoted identifier. */
  sql(schema: string): string;
}

/**
 * Every migration, in order. Append, never edit: a schema written by an older release is brought up
 * to date by the ones it lacks, and one written by a newer release is refused.
 */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, description: "entries, projects and the functions of every write", sql: schemaVersion1 },
];

/** The schema version this release writes and reads. */
export const POSTGRES_SCHEMA_VERSION = MIGRATIONS.length;

/** The notice each applied migration raises; the backend counts them to say what it applied. */
export const APPLIED_NOTICE = /^wfstore: applied migration (\d+)\b/;

export function quoteSchema(schema: string): string {
  return `"${schema.replaceAll('"', '""')}"`;
}

/** The advisory lock that migrations of one schema take turns on, from every process and psql. */
function lockKey(schema: string): string {
  return `hashtextextended('@store/backend-postgres migrations of schema ${schema}', 0)`;
}

function migrationBlock(m: Migration, s: string): string {
  return `-- Migration ${m.version}: ${m.description}
DO $wfstore_migration$
BEGIN
  IF EXISTS (SELECT 1 FROM ${s}.schema_migrations WHERE version = ${m.version}) THEN
    RETURN;
  END IF;
  EXECUTE $wfstore_sql$${m.sql(s)}$wfstore_sql$;
  INSERT INTO ${s}.schema_migrations (version, description) VALUES (${m.version}, '${m.description.replaceAll("'", "''")}');
  RAISE NOTICE 'wfstore: applied migration ${m.version} to schema %', ${`'${s.replaceAll("'", "''")}'`};
END
$wfstore_migration$;
`;
}

/**
 * The SQL that creates or upgrades the backend's schema to the version this release needs: for teams
 * whose application user may not run DDL (apply it as a privileged role, then set `migrate: false`).
 * It is what the backend itself runs when it migrates: one transaction, under an advisory lock, and
 * idempotent, so running it again, or from several sessions at once, applies each migration once.
 * `wfstore migrations print --provider NAME` prints it for a provider's schema.
 */
export function postgresMigrationSql(options: { schema?: string } = {}): string {
  const schema = resolveOptions({ schema: options.schema ?? DEFAULT_SCHEMA }).schema;
  const s = quoteSchema(schema);
  return `-- @store/backend-postgres: schema ${s} at version ${POSTGRES_SCHEMA_VERSION}.
-- Idempotent: run it again, or from several sessions at once; each migration is applied once, in order.
BEGIN;
SET LOCAL statement_timeout = 0;
SELECT pg_advisory_xact_lock(${lockKey(schema)});
DO $wfstore_schema$
BEGIN
  -- Only when missing: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege even when it exists.
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = '${schema}') THEN
    CREATE SCHEMA ${s};
  END IF;
END
$wfstore_schema$;
CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
  version     integer PRIMARY KEY,
  description text NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT now()
);
${MIGRATIONS.map((m) => migrationBlock(m, s)).join("")}COMMIT;
`;
}
