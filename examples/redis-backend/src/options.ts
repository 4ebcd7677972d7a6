import type { BackendContext, OptionsSchema } from "@store/core/backend";

/** The backend's name: every error message starts with it (`redis: …`). */
export const REDIS_BACKEND_NAME = "redis";

/** Options of a Redis provider (camelCase; manifests may spell them in snake_case, core converts). */
export interface RedisBackendOptions {
  /**
   * The server: `redis://[[user]:password@]host[:port][/db]`, or `rediss://…` for TLS. Default
   * `redis://127.0.0.1:6379`. Credentials in it are never repeated in error messages.
   */
  url?: string;
  /**
   * Prepended to every Redis key this backend writes, so several applications (or test runs) share
   * one server without meeting. Default `wfstore:`.
   */
  keyPrefix?: string;
  /** How long connecting may take before the provider fails. Default 5000. */
  connectTimeoutMs?: number;
  /** How long one command may wait for its reply before it fails with BACKEND_IO. Default 30000. */
  commandTimeoutMs?: number;
}

export interface ResolvedRedisOptions {
  url: string;
  keyPrefix: string;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
}

export const DEFAULT_URL = "redis://127.0.0.1:6379";
export const DEFAULT_KEY_PREFIX = "wfstore:";

/** JSON Schema of the options; core validates a provider's options against it before `create`. */
export const redisOptionsSchema: OptionsSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    url: { type: "string", pattern: "^rediss?://" },
    keyPrefix: { type: "string", maxLength: 200 },
    connectTimeoutMs: { type: "integer", minimum: 1, maximum: 600_000 },
    commandTimeoutMs: { type: "integer", minimum: 1, maximum: 3_600_000 },
  },
};

/** Fills in the defaults. Core has validated `options` against the schema already. */
export function resolveOptions(
  options: RedisBackendOptions | undefined,
  _context?: BackendContext,
): ResolvedRedisOptions {
  return {
    url: options?.url ?? DEFAULT_URL,
    keyPrefix: options?.keyPrefix ?? DEFAULT_KEY_PREFIX,
    connectTimeoutMs: options?.connectTimeoutMs ?? 5000,
    commandTimeoutMs: options?.commandTimeoutMs ?? 30_000,
  };
}
