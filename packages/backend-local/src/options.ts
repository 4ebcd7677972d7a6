import path from "node:path";
import { normalizeOptionNames, withSnakeCaseAliases } from "@store/core";

export interface LocalBackendOptions {
  /**
   * The database file. Default `<dataDir>/store.sqlite`; a relative path resolves against the data
   * directory. `":memory:"` keeps everything in this process only (tests, throwaway runs).
   */
  path?: string;
  /** How long a write waits for another connection's lock before failing. Default 5000. */
  busyTimeoutMs?: number;
  /**
   * `"normal"` (default): with WAL, a committed put survives a crash of the process, but the last
   * transactions may be lost if the machine loses power. `"full"`: fsync on every commit, which also
   * survives power loss, at a cost in write throughput.
   */
  synchronous?: "normal" | "full";
  /** Size the WAL file is truncated back to after a checkpoint resets it. Default 32 MiB. */
  journalSizeLimitBytes?: number;
  /** How often a passive WAL checkpoint runs after this process wrote. Default 10000; 0 disables. */
  checkpointIntervalMs?: number;
}

export interface ResolvedLocalOptions {
  /** Absolute file path, or ":memory:". */
  file: string;
  busyTimeoutMs: number;
  synchronous: "normal" | "full";
  journalSizeLimitBytes: number;
  checkpointIntervalMs: number;
}

export const DEFAULT_FILE_NAME = "store.sqlite";

const DEFAULTS = {
  busyTimeoutMs: 5000,
  synchronous: "normal",
  journalSizeLimitBytes: 32 * 1024 * 1024,
  checkpointIntervalMs: 10_000,
} as const;

/** Manifests spell fields in snake_case, the TypeScript API in camelCase; both are accepted. */
const SNAKE_CASE: Record<string, keyof LocalBackendOptions> = {
  busy_timeout_ms: "busyTimeoutMs",
  journal_size_limit_bytes: "journalSizeLimitBytes",
  checkpoint_interval_ms: "checkpointIntervalMs",
};

const properties = {
  path: { type: "string", minLength: 1 },
  busyTimeoutMs: { type: "integer", minimum: 0, maximum: 3_600_000 },
  synchronous: { enum: ["normal", "full"] },
  journalSizeLimitBytes: { type: "integer", minimum: 0 },
  checkpointIntervalMs: { type: "integer", minimum: 0, maximum: 86_400_000 },
};

/** JSON Schema of the options; core validates against it before `create`. */
export const localOptionsSchema: Record<string, unknown> = {
  type: "object",
  additionalProperties: false,
  properties: {
    ...properties,
    ...withSnakeCaseAliases(properties, SNAKE_CASE),
  },
};

export function resolveOptions(raw: LocalBackendOptions | undefined, dataDir: string): ResolvedLocalOptions {
  const o = normalizeOptionNames<LocalBackendOptions>("local", raw, SNAKE_CASE);
  const file = o.path === ":memory:" ? ":memory:" : path.resolve(dataDir, o.path ?? DEFAULT_FILE_NAME);
  return {
    file,
    busyTimeoutMs: o.busyTimeoutMs ?? DEFAULTS.busyTimeoutMs,
    synchronous: o.synchronous ?? DEFAULTS.synchronous,
    journalSizeLimitBytes: o.journalSizeLimitBytes ?? DEFAULTS.journalSizeLimitBytes,
    checkpointIntervalMs: o.checkpointIntervalMs ?? DEFAULTS.checkpointIntervalMs,
  };
}
