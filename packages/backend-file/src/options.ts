import path from "node:path";
import type { OptionsSchema } from "@store/core/backend";

/** The backend's name: the builtin provider `file`, and the first word of its error messages. */
export const FILE_BACKEND_NAME = "file";

/** Options of the file backend. Manifests spell them in snake_case (`lock_stale_ms`); core converts. */
export interface FileBackendOptions {
  /**
   * The directory stores live under: `<root>/<base_path, default "stores">/<store>/<project>/`.
   * Default: the data directory. A relative path resolves against the data directory too, as the
   * local backend's `path` does: data locations are relative to where data lives.
   */
  root?: string;
  /**
   * `"always"` (default, durable): a put returns only once the value and its directory entry are on
   * disk (fsync of the temp file, rename, fsync of the directory). `"never"`: no fsync; a crash of the
   * process loses nothing (the OS has the data), a power failure may lose the last puts, but never
   * leaves a torn value.
   */
  fsync?: "always" | "never";
  /** A lock held this long is taken to be abandoned (a hung process, another host). Default 30000. */
  lockStaleMs?: number;
  /** How long an operation waits for the directory lock before failing. Default 60000. */
  lockTimeoutMs?: number;
}

export interface ResolvedFileOptions {
  /** Absolute. */
  root: string;
  fsync: boolean;
  lockStaleMs: number;
  lockTimeoutMs: number;
}

/** JSON Schema of the options; core validates them (after converting snake_case names) before `create`. */
export const fileOptionsSchema: OptionsSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    root: { type: "string", minLength: 1 },
    fsync: { enum: ["always", "never"] },
    lockStaleMs: { type: "integer", minimum: 100, maximum: 86_400_000 },
    lockTimeoutMs: { type: "integer", minimum: 0, maximum: 86_400_000 },
  },
};

export function resolveOptions(
  options: FileBackendOptions,
  context: { dataDir: string },
): ResolvedFileOptions {
  return {
    root: path.resolve(context.dataDir, options.root ?? "."),
    fsync: (options.fsync ?? "always") === "always",
    lockStaleMs: options.lockStaleMs ?? 30_000,
    lockTimeoutMs: options.lockTimeoutMs ?? 60_000,
  };
}
