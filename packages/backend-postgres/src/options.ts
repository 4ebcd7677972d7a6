import { backendErrors, type OptionsSchema } from "@store/core/backend";
import type { Pool } from "pg";

export const POSTGRES_BACKEND_NAME = "postgres";

export interface PostgresBackendOptions {
  /**
   * `postgres://user:password@host:5432/database?sslmode=require`. Absent: the standard `PG*`
   * environment variables (`PGHOST`, `PGPORT`, `PGDATABASE`, `PGUSER`, `PGPASSWORD`, `PGSSLMODE`…).
   * Its password never appears in an error message.
   */
  connectionString?: string;
  /** The PostgreSQL schema the tables and functions live in. Default `wfstore`. */
  schema?: string;
  /** Most connections the pool opens. Default 10. */
  poolMax?: number;
  /** Server-side limit on one statement, in milliseconds; 0 turns it off. Default 30000. */
  statementTimeoutMs?: number;
  /** How long opening a connection may take, in milliseconds. Default 10000. */
  connectTimeoutMs?: number;
  /**
   * Bring the schema up to date when the backend starts (default true), under an advisory lock so
   * that many workers may start at once. With `false` the schema must already be current (apply
   * `postgresMigrationSql()` or `wfstore migrations print` yourself); otherwise starting fails.
   */
  migrate?: boolean;
  /** `application_name` of the connections, shown in `pg_stat_activity`. Default `wfstore`. */
  applicationName?: string;
  /**
   * From code only: an existing `pg.Pool` to run on. Its own settings (size, timeouts, credentials)
   * apply, so `connectionString`, `poolMax`, `statementTimeoutMs`, `connectTimeoutMs` and
   * `applicationName` cannot be combined with it; `close()` leaves it open for its owner.
   */
  pool?: Pool;
}

/** Options after defaults. */
export interface ResolvedPostgresOptions {
  connectionString: string | undefined;
  schema: string;
  poolMax: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  migrate: boolean;
  applicationName: string;
  pool: Pool | undefined;
}

export const DEFAULT_SCHEMA = "wfstore";

const DEFAULTS = {
  poolMax: 10,
  statementTimeoutMs: 30_000,
  connectTimeoutMs: 10_000,
  applicationName: "wfstore",
} as const;

/** An unquoted-style identifier, so the schema name never needs escaping in messages or SQL comments. */
const SCHEMA_NAME = "^[A-Za-z_][A-Za-z0-9_]{0,62}$";

/** JSON Schema of the options (camelCase; core converts a manifest's snake_case first). */
export const postgresOptionsSchema: OptionsSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    connectionString: { type: "string", minLength: 1 },
    schema: { type: "string", pattern: SCHEMA_NAME },
    poolMax: { type: "integer", minimum: 1, maximum: 1000 },
    statementTimeoutMs: { type: "integer", minimum: 0, maximum: 86_400_000 },
    connectTimeoutMs: { type: "integer", minimum: 1, maximum: 3_600_000 },
    migrate: { type: "boolean" },
    applicationName: { type: "string", maxLength: 63 },
    // A pg.Pool cannot be described in JSON: the schema only checks it is an object, resolveOptions
    // checks that it behaves like a pool.
    pool: { type: "object" },
  },
};

const POOL_SETTINGS = [
  "connectionString",
  "poolMax",
  "statementTimeoutMs",
  "connectTimeoutMs",
  "applicationName",
] as const;

function invalid(message: string, field: string) {
  // errors.ts imports the name from here, so this file makes its one error itself (no import cycle).
  return backendErrors(POSTGRES_BACKEND_NAME).error("INVALID_ARGUMENT", message, { details: { field } });
}

function isPool(value: unknown): value is Pool {
  const p = value as Record<string, unknown> | null;
  return (
    typeof p === "object" &&
    p !== null &&
    ["query", "connect", "end", "on", "removeListener"].every((m) => typeof p[m] === "function")
  );
}

/**
 * Defaults applied, and the checks JSON Schema cannot make. Core has validated the options against
 * the schema when they come from a manifest; code may call `create` directly, so types are checked
 * again where a wrong one would be silently misread.
 */
export function resolveOptions(raw: PostgresBackendOptions | undefined): ResolvedPostgresOptions {
  const o = raw ?? {};
  if (o.schema !== undefined && (typeof o.schema !== "string" || !new RegExp(SCHEMA_NAME).test(o.schema))) {
    throw invalid(
      `option schema ${JSON.stringify(o.schema)} is not a plain identifier (letters, digits and _, 1-63 characters, not starting with a digit)`,
      "schema",
    );
  }
  if (o.pool !== undefined) {
    if (!isPool(o.pool)) {
      throw invalid(
        "option pool must be a pg.Pool (it can only be given from code, not in a manifest)",
        "pool",
      );
    }
    const clash = POOL_SETTINGS.filter((name) => o[name] !== undefined);
    if (clash.length > 0) {
      throw invalid(
        `option pool cannot be combined with ${clash.join(", ")}: a pool brings its own connection settings`,
        clash[0] as string,
      );
    }
  }
  return {
    connectionString: o.connectionString,
    schema: o.schema ?? DEFAULT_SCHEMA,
    poolMax: o.poolMax ?? DEFAULTS.poolMax,
    statementTimeoutMs: o.statementTimeoutMs ?? DEFAULTS.statementTimeoutMs,
    connectTimeoutMs: o.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
    migrate: o.migrate ?? true,
    applicationName: o.applicationName ?? DEFAULTS.applicationName,
    pool: o.pool,
  };
}
