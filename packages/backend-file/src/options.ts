import path from "node:path";
import { normalizeOptionNames, withSnakeCaseAliases } from "@store/core";

export interface FileBackendOptions {
  /**
   * The directory stores live under: `<root>/<base_path, default "stores">/<store>/<project>/`.
   * Default: the data directory. A relative path resolves against the data directory too, as the
   * local backend's `path` does: data locations are relative to where data lives.
   */
  root?: string;
  /**
   * `"always"` (default, durable): a put returns only once the value, its directory entry and its
   * index line are on disk (fsync of the temp file, rename, fsync of the directory, fdatasync of the
   * index log). `"never"`: no fsync; a crash of the process loses nothing (the OS has the data), a
   * power failure may lose the last puts, but never leaves a torn value.
   */
  fsync?: "always" | "never";
  /** A lock held this long is taken to be abandoned (a hung process, another host). Default 30000. */
  lockStaleMs?: number;
  /** How long an operation waits for the directory lock before failing. Default 60000. */
  lockTimeoutMs?: number;
}

export interface ResolvedFileOptions {
  root: string;
  fsync: boolean;
  lockStaleMs: number;
  lockTimeoutMs: number;
}

const SNAKE_CASE: Record<string, keyof FileBackendOptions> = {
  lock_stale_ms: "lockStaleMs",
  lock_timeout_ms: "lockTimeoutMs",
};

const properties: Record<keyof FileBackendOptions, Record<string, unknown>> = {
  root: { type: "string", minLength: 1 },
  fsync: { enum: ["always", "never"] },
  lockStaleMs: { type: "integer", minimum: 100, maximum: 86_400_000 },
  lockTimeoutMs: { type: "integer", minimum: 0, maximum: 86_400_000 },
};

/** JSON Schema of the options (camelCase, or snake_case as in manifests); core checks it first. */
export const fileOptionsSchema: Record<string, unknown> = {
  type: "object",
  additionalProperties: false,
  properties: {
    ...properties,
    ...withSnakeCaseAliases(properties, SNAKE_CASE),
  },
};

export function resolveOptions(
  raw: FileBackendOptions | undefined,
  context: { dataDir: string },
): ResolvedFileOptions {
  const o = normalizeOptionNames<FileBackendOptions>("file", raw, SNAKE_CASE);
  return {
    root: o.root === undefined ? path.resolve(context.dataDir) : path.resolve(context.dataDir, o.root),
    fsync: (o.fsync ?? "always") === "always",
    lockStaleMs: o.lockStaleMs ?? 30_000,
    lockTimeoutMs: o.lockTimeoutMs ?? 60_000,
  };
}
