import { BACKEND_SPECIFICATION_VERSION, defineBackend } from "@store/core/backend";
import { PostgresBackend } from "./backend";
import {
  POSTGRES_BACKEND_NAME,
  type PostgresBackendOptions,
  postgresOptionsSchema,
  resolveOptions,
} from "./options";

export { PostgresBackend } from "./backend";
export type { MigrationOutcome } from "./migrate";
export { POSTGRES_SCHEMA_VERSION, postgresMigrationSql } from "./migrations";
export { POSTGRES_BACKEND_NAME, type PostgresBackendOptions, postgresOptionsSchema } from "./options";
export { type PostgresStatements, postgresStatements } from "./statements";

/**
 * The shared store for workers on several machines: PostgreSQL through node-postgres. Conditional
 * writes, retention on put, prune and keyset paging run natively, each in one statement.
 */
export const postgresBackend = defineBackend<PostgresBackendOptions>({
  name: POSTGRES_BACKEND_NAME,
  specificationVersion: BACKEND_SPECIFICATION_VERSION,
  capabilities: { retentionOnPut: true, cursor: true, prune: true, conditionalWrites: true },
  optionsSchema: postgresOptionsSchema,
  create: (options) => PostgresBackend.open(resolveOptions(options)),
});

export default postgresBackend;
