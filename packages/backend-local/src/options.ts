import path from "node:path";
import type { BackendContext, OptionsSchema } from "@store/core/backend";

/** The name core registers this backend under: the builtin `local` provider. */
export const LOCAL_BACKEND_NAME = "local";

/**
 * Options of the local backend (camelCase; core turns a manifest's `busy_timeout_ms` into
 * `busyTimeoutMs` and so on before validating them).
 */
export interface LocalBackendOptions {
  /**
   * The database file. Default `<dataDir>/store.sqlite`; a relative path resolves against the data
   * directory. `":memory:"` keeps everything in this process only (tests, throwaway runs).
   */
  path?: string;
  /** How long a write waits for another connection's lock before failing, in ms. Default 5000. */
  busyTimeoutMs?: number;
  /**
   * `"normal"` (default): with WAL, a committed put survives a crash of the process, but the last
   * transactions may be lost if the machine loses power. `"full"`: fsync on every commit, which also
   * survives power loss, at a cost in write throughput.
   */
  synchronous?: "normal" | "full";
  /** Size the WAL file is truncated back to after a checkpoint resets it. Default 32 MiB. */
  journalSizeLimitBytes?: number;
  /** How often a passive WAL checkpoint runs after this process wrote, in ms. Default 10000; 0 disables. */
  checkpointIntervalMs?: number;
}

/** The options with every default applied and the path made absolute. */
export interface ResolvedLocalOptions {
  /** Absolute file path, or ":memory:". */
  file: string;
  busyTimeoutMs: number;
  synchronous: "normal" | "full";
  journalSizeLimitBytes: number;
  checkpointIntervalMs: number;
}

/** The file under the data directory when `path` is not given. */
export const DEFAULT_FILE_NAME = "store.sqlite";

const DEFAULTS = {
  busyTimeoutMs: 5000,
  synchronous: "normal",
  journalSizeLimitBytes: 32 * 1024 * 1024,
  checkpointIntervalMs: 10_000,
} as const;

/** JSON Schema of the options; core validates a provider's options against it before `create`. */
export const localOptionsSchema: OptionsSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    path: { type: "string", minLength: 1 },
    busyTimeoutMs: { type: "integer", minimum: 0, maximum: 3_600_000 },
    synchronous: { enum: ["normal", "full"] },
    journalSizeLimitBytes: { type: "integer", minimum: 0 },
    checkpointIntervalMs: { type: "integer", minimum: 0, maximum: 86_400_000 },
  },
};

export function resolveOptions(
  options: LocalBackendOptions | undefined,
  context: Pick<BackendContext, "dataDir">,
): ResolvedLocalOptions {
  const o = options ?? {};
  return {
    file: o.path === ":memory:" ? ":memory:" : path.resolve(context.dataDir, o.path ?? DEFAULT_FILE_NAME),
    busyTimeoutMs: o.busyTimeoutMs ?? DEFAULTS.busyTimeoutMs,
    synchronous: o.synchronous ?? DEFAULTS.synchronous,
    journalSizeLimitBytes: o.journalSizeLimitBytes ?? DEFAULTS.journalSizeLimitBytes,
    checkpointIntervalMs: o.checkpointIntervalMs ?? DEFAULTS.checkpointIntervalMs,
  };
}
