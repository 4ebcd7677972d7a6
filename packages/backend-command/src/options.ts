import path from "node:path";
import { StoreError } from "@store/core";

/** A command: a string runs with `sh -c`; an array is an argv, run without a shell. */
export type CommandLine = string | string[];

/** The v1 commands of a provider (`spec.commands`). `prune` is optional. */
export interface CommandSet {
  get: CommandLine;
  put: CommandLine;
  delete: CommandLine;
  list: CommandLine;
  prune?: CommandLine;
}

/**
 * Options of the command backend: the `spec` of a `StoreBackendProvider` that names `commands:` or
 * `process:`, in its manifest's snake_case. Exactly one of `commands` and `process` is set.
 */
export interface CommandBackendOptions {
  /** Protocol v1: one command per op, spawned for every op. */
  commands?: CommandSet;
  /** Protocol v2: one long-running program answering JSON lines. */
  process?: CommandLine;
  /** Per-op (v1) or per-request (v2) timeout. Default 30. */
  timeout_seconds?: number;
  /** Host environment variables passed through by name, beyond the minimal set. */
  env?: string[];
  /** Where commands run; relative to the manifest's directory. Default: the manifest's directory. */
  working_dir?: string;
  /** Cap on one op's stdout (v1) or one response line (v2). Default 64 MiB. */
  max_output_bytes?: number;
  /** v1: live child processes at most (default 8). v2: requests in flight at most (default 128). */
  concurrency?: number;
  /**
   * v1: the put command reads the value from stdin (it is always written there). Values too large for
   * the `VALUE` environment variable (128 KiB) are then passed on stdin only; without this flag they
   * are refused with VALUE_TOO_LARGE before anything runs, since a provider that reads `$VALUE`
   * would store nothing. Default false (seed providers read `$VALUE`).
   */
  put_reads_stdin?: boolean;
  /** Free text, as in the manifest. */
  description?: string;
}

export const DEFAULT_TIMEOUT_SECONDS = 30;
export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;
export const DEFAULT_V1_CONCURRENCY = 8;
export const DEFAULT_V2_CONCURRENCY = 128;

const command = {
  anyOf: [
    { type: "string", minLength: 1 },
    { type: "array", minItems: 1, items: { type: "string" } },
  ],
};

/** Mirrors core's StoreBackendProvider spec for `commands:`/`process:` providers. */
export const optionsSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    commands: {
      type: "object",
      required: ["get", "put", "delete", "list"],
      additionalProperties: false,
      properties: { get: command, put: command, delete: command, list: command, prune: command },
    },
    process: command,
    timeout_seconds: { type: "number", exclusiveMinimum: 0, maximum: 86400 },
    env: { type: "array", uniqueItems: true, items: { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_]*$" } },
    working_dir: { type: "string", minLength: 1 },
    max_output_bytes: { type: "integer", minimum: 1 },
    concurrency: { type: "integer", minimum: 1, maximum: 256 },
    put_reads_stdin: { type: "boolean" },
    description: { type: "string" },
  },
  oneOf: [{ required: ["commands"] }, { required: ["process"] }],
} as const;

/** A command ready to spawn: the file and its arguments (`sh -c` for strings). */
export interface Invocation {
  file: string;
  args: string[];
  /** How the command is shown in errors. */
  display: string;
}

export interface ResolvedOptions {
  mode: "commands" | "process";
  commands?: { get: Invocation; put: Invocation; delete: Invocation; list: Invocation; prune?: Invocation };
  process?: Invocation;
  timeoutMs: number;
  envNames: string[];
  cwd: string;
  maxOutputBytes: number;
  concurrency: number;
  putReadsStdin: boolean;
}

function invalid(message: string): StoreError {
  return new StoreError("INVALID_ARGUMENT", `command: ${message}`);
}

/** A string command's program when it is a plain relative path (`./kv.sh …`, `../bin/kv …`). */
const RELATIVE_PROGRAM = /^(\.\.?\/[A-Za-z0-9._/+@%,:=-]*)(?=\s|$)/;

function invocation(value: unknown, field: string, baseDir: string): Invocation {
  if (typeof value === "string" && value.length > 0) {
    // A relative program resolves against the manifest's directory, as in an argv; the rest of the
    // line is the shell's (run in working_dir). The path is configuration, quoted: never data.
    const script = value.replace(
      RELATIVE_PROGRAM,
      (program) => `'${path.resolve(baseDir, program).replaceAll("'", `'\\''`)}'`,
    );
    return { file: "/bin/sh", args: ["-c", script], display: value };
  }
  if (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((a) => typeof a === "string") &&
    value[0] !== ""
  ) {
    const first = value[0] as string;
    // `./kv.sh` in an argv is relative to the manifest, like working_dir; a bare name is looked up in PATH.
    const file = first.includes("/") ? path.resolve(baseDir, first) : first;
    return { file, args: value.slice(1) as string[], display: JSON.stringify(value) };
  }
  throw invalid(`${field} must be a command string (run with sh -c) or a non-empty array of strings (argv)`);
}

function positive(value: unknown, field: string, fallback: number, integer: boolean, max = Infinity): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value > 0) || value > max || (integer && !Number.isInteger(value))) {
    throw invalid(
      `${field} must be a positive ${integer ? "integer" : "number"}${max < Infinity ? ` up to ${max}` : ""}`,
    );
  }
  return value;
}

/**
 * Checks the options again (core validates them against `optionsSchema` for manifests, but the backend
 * may also be created directly) and resolves paths against the manifest's directory.
 */
export function resolveOptions(raw: CommandBackendOptions, baseDir: string): ResolvedOptions {
  if (typeof raw !== "object" || raw === null) throw invalid("options must be an object");
  const known = new Set(Object.keys(optionsSchema.properties));
  for (const field of Object.keys(raw)) if (!known.has(field)) throw invalid(`unknown option "${field}"`);
  const hasCommands = raw.commands !== undefined;
  const hasProcess = raw.process !== undefined;
  if (hasCommands === hasProcess) throw invalid("set exactly one of commands and process");
  let commands: ResolvedOptions["commands"];
  if (hasCommands) {
    const c = raw.commands as unknown as Record<string, unknown>;
    if (typeof c !== "object" || c === null) throw invalid("commands must be an object");
    for (const field of Object.keys(c)) {
      if (!["get", "put", "delete", "list", "prune"].includes(field))
        throw invalid(`unknown command "commands.${field}"`);
    }
    commands = {
      get: invocation(c.get, "commands.get", baseDir),
      put: invocation(c.put, "commands.put", baseDir),
      delete: invocation(c.delete, "commands.delete", baseDir),
      list: invocation(c.list, "commands.list", baseDir),
      ...(c.prune === undefined ? {} : { prune: invocation(c.prune, "commands.prune", baseDir) }),
    };
  }
  const envNames = raw.env ?? [];
  if (
    !Array.isArray(envNames) ||
    !envNames.every((n) => typeof n === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(n))
  ) {
    throw invalid("env must be an array of environment variable names");
  }
  if (raw.working_dir !== undefined && (typeof raw.working_dir !== "string" || raw.working_dir === "")) {
    throw invalid("working_dir must be a non-empty string");
  }
  if (raw.put_reads_stdin !== undefined && typeof raw.put_reads_stdin !== "boolean") {
    throw invalid("put_reads_stdin must be true or false");
  }
  if (raw.put_reads_stdin !== undefined && !hasCommands)
    throw invalid("put_reads_stdin applies to commands (protocol v1) only");
  return {
    mode: hasCommands ? "commands" : "process",
    ...(commands ? { commands } : {}),
    ...(hasProcess ? { process: invocation(raw.process, "process", baseDir) } : {}),
    timeoutMs: Math.round(
      positive(raw.timeout_seconds, "timeout_seconds", DEFAULT_TIMEOUT_SECONDS, false, 86400) * 1000,
    ),
    envNames,
    cwd: path.resolve(baseDir, raw.working_dir ?? "."),
    maxOutputBytes: positive(raw.max_output_bytes, "max_output_bytes", DEFAULT_MAX_OUTPUT_BYTES, true),
    concurrency: positive(
      raw.concurrency,
      "concurrency",
      hasCommands ? DEFAULT_V1_CONCURRENCY : DEFAULT_V2_CONCURRENCY,
      true,
      256,
    ),
    putReadsStdin: raw.put_reads_stdin === true,
  };
}
