import { defineBackend } from "@store/core";
import { openDatabase } from "./database";
import { LocalBackend } from "./local-backend";
import { type LocalBackendOptions, localOptionsSchema, resolveOptions } from "./options";

export { decodeKey, encodeKey } from "./key-encoding";
export { LocalBackend } from "./local-backend";
export {
  DEFAULT_FILE_NAME,
  type LocalBackendOptions,
  localOptionsSchema,
  type ResolvedLocalOptions,
} from "./options";
export { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from "./schema";
export { SQL } from "./statements";

export const LOCAL_BACKEND_NAME = "local";

/**
 * The default backend: one SQLite file under the data directory (better-sqlite3, WAL). Does retention,
 * TTL filtering, keyset paging, prune and batched import natively in SQL.
 */
export const localBackend = defineBackend<LocalBackendOptions>({
  name: LOCAL_BACKEND_NAME,
  specificationVersion: "v1",
  capabilities: {
    retentionOnPut: true,
    cursor: true,
    prune: true,
    ttlFilter: true,
    preservesTimestamps: true,
    putMany: true,
  },
  optionsSchema: localOptionsSchema,
  async create(options, context) {
    const resolved = resolveOptions(options, context.dataDir);
    return new LocalBackend(await openDatabase(resolved), resolved, context);
  },
});

export default localBackend;
