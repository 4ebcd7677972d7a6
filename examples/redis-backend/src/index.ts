import { BACKEND_SPECIFICATION_VERSION, defineBackend } from "@store/core/backend";
import { RedisBackend } from "./backend";
import { connect } from "./connection";
import { REDIS_BACKEND_NAME, type RedisBackendOptions, redisOptionsSchema, resolveOptions } from "./options";

export { REDIS_BACKEND_NAME, type RedisBackendOptions, redisOptionsSchema } from "./options";

/**
 * Entries in Redis: one hash of values, one hash of metadata, one sorted set in list order and a
 * version floor per (store, project); every op is one atomic Lua script. Every capability is native:
 * retention on put, keyset cursors, prune and conditional writes.
 */
export const redisBackend = defineBackend<RedisBackendOptions>({
  name: REDIS_BACKEND_NAME,
  specificationVersion: BACKEND_SPECIFICATION_VERSION,
  capabilities: { retentionOnPut: true, cursor: true, prune: true, conditionalWrites: true },
  optionsSchema: redisOptionsSchema,
  async create(options, context) {
    const resolved = resolveOptions(options, context);
    return new RedisBackend(await connect(resolved), resolved);
  },
});

export default redisBackend;
