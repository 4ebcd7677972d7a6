import { BACKEND_SPECIFICATION_VERSION, defineBackend } from "@store/core/backend";
import { LocalBackend } from "./backend";
import { openDatabase } from "./database";
import { LOCAL_BACKEND_NAME, type LocalBackendOptions, localOptionsSchema, resolveOptions } from "./options";

export { LocalBackend } from "./backend";
export { LOCAL_BACKEND_NAME, type LocalBackendOptions, localOptionsSchema } from "./options";

/**
 * The default backend: one SQLite file under the data directory (better-sqlite3, WAL). Retention on
 * put, keyset paging, prune and conditional writes run natively in SQL, each op one statement or one
 * BEGIN IMMEDIATE transaction.
 */
export const localBackend = defineBackend<LocalBackendOptions>({
  name: LOCAL_BACKEND_NAME,
  specificationVersion: BACKEND_SPECIFICATION_VERSION,
  capabilities: { retentionOnPut: true, cursor: true, prune: true, conditionalWrites: true },
  optionsSchema: localOptionsSchema,
  async create(options, context) {
    const resolved = resolveOptions(options, context);
    return new LocalBackend(await openDatabase(resolved), resolved, context);
  },
});

export default localBackend;
