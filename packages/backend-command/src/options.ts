import path from "node:path";
import { backendErrors } from "@store/core/backend";

/** The name core registers this backend under: it serves every provider with `commands:` or `process:`. */
export const COMMAND_BACKEND_NAME = "command";

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
 * `process:` (core turns the manifest's `timeout_seconds` into `timeoutSeconds` and so on).
 * Exactly one of `commands` and `process` is set.
 */
export interface CommandBackendOptions {
  /** Protocol v1: one command per op, spawned for every op. */
  commands?: CommandSet;
  /** Protocol v2: one long-running program answering JSON lines. */
  process?: CommandLine;
  /** Per-op (v1) or per-request (v2) timeout in seconds; fractions allowed. Default 30. */
  timeoutSeconds?: number;
  /** Host environment variables passed through by name, beyond the documented minimal set. */
  env?: string[];
  /** Where commands run; relative to the manifest's directory. Default: the manifest's directory. */
  workingDir?: string;
  /** Cap on one op's stdout (v1) or one reply line (v2). Default 64 MiB. */
  maxOutputBytes?: number;
  /** v1: commands running at once at most (default 8). v2: requests in flight at most (default 128). */
  concurrency?: number;
  /**
   * v1: the put command reads the value from stdin (it is always written there), so values too large
   * for `$VALUE` (128 KiB) can be stored. Default false (seed providers read `$VALUE`).
   */
  putReadsStdin?: boolean;
  /**
   * v1: the commands keep versions and honour `IF_VERSION` / `IF_ABSENT` atomically, answering a
   * failed condition with exit code 75. Default false. (v2 providers announce it in their handshake.)
   */
  conditionalWrites?: boolean;
}

export const DEFAULT_TIMEOUT_SECONDS = 30;
export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;
export const DEFAULT_V1_CONCURRENCY = 8;
export const DEFAULT_V2_CONCURRENCY = 128;

const ENV_NAME = "^[A-Za-z_][A-Za-z0-9_]*$";
const command = {
  anyOf: [
    { type: "string", minLength: 1 },
    { type: "array", minItems: 1, items: { type: "string" } },
  ],
};

/** JSON Schema of the options (camelCase); core validates a provider's spec against it. */
export const commandOptionsSchema = {
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
    timeoutSeconds: { type: "number", exclusiveMinimum: 0, maximum: 86400 },
    env: { type: "array", uniqueItems: true, items: { type: "string", pattern: ENV_NAME } },
    workingDir: { type: "string", minLength: 1 },
    maxOutputBytes: { type: "integer", minimum: 1 },
    concurrency: { type: "integer", minimum: 1, maximum: 256 },
    putReadsStdin: { type: "boolean" },
    conditionalWrites: { type: "boolean" },
  },
  oneOf: [{ required: ["commands"] }, { required: ["process"] }],
} as const;

/** A command ready to run: the file and its arguments (`/bin/sh -c` for strings). */
export interface Invocation {
  file: string;
  args: string[];
  /** How the command is shown in errors. */
  display: string;
}

export interface V1Commands {
  get: Invocation;
  put: Invocation;
  delete: Invocation;
  list: Invocation;
  prune?: Invocation;
}

interface CommonOptions {
  timeoutMs: number;
  envNames: string[];
  cwd: string;
  maxOutputBytes: number;
  concurrency: number;
}

export interface V1Options extends CommonOptions {
  protocol: 1;
  commands: V1Commands;
  putReadsStdin: boolean;
  conditionalWrites: boolean;
}

export interface V2Options extends CommonOptions {
  protocol: 2;
  process: Invocation;
}

export type ResolvedOptions = V1Options | V2Options;

// errors.ts imports the name from here, so this file makes its one kind of error itself (no cycle).
const invalid = (message: string) => backendErrors(COMMAND_BACKEND_NAME).error("INVALID_ARGUMENT", message);

/** A string command's program when it is a plain relative path (`./kv.sh …`, `../bin/kv …`). */
const RELATIVE_PROGRAM = /^(\.\.?\/[A-Za-z0-9._/+@%,:=-]*)(?=\s|$)/;

function invocation(value: unknown, field: string, baseDir: string): Invocation {
  if (typeof value === "string" && value.length > 0) {
    // A relative program resolves against the manifest's directory, as in an argv; the rest of the
    // line is the shell's (run in workingDir). The path is configuration, quoted: never data.
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
    // `./kv.sh` in an argv is relative to the manifest, like workingDir; a bare name is looked up in PATH.
    const file = first.includes("/") ? path.resolve(baseDir, first) : first;
    return { file, args: value.slice(1) as string[], display: JSON.stringify(value) };
  }
  throw invalid(`${field} must be a command string (run with sh -c) or a non-empty array of strings (argv)`);
}

function positive(value: unknown, field: string, fallback: number, integer: boolean, max = Infinity): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value > 0) || value > max || (integer && !Number.isInteger(value))) {
    const bound = max < Infinity ? ` up to ${max}` : "";
    throw invalid(`${field} must be a positive ${integer ? "integer" : "number"}${bound}`);
  }
  return value;
}

function flag(value: unknown, field: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") throw invalid(`${field} must be true or false`);
  return value;
}

function commandSet(raw: unknown, baseDir: string): V1Commands {
  if (typeof raw !== "object" || raw === null) throw invalid("commands must be an object");
  const c = raw as Record<string, unknown>;
  for (const field of Object.keys(c)) {
    if (!["get", "put", "delete", "list", "prune"].includes(field))
      throw invalid(`unknown command "commands.${field}"`);
  }
  return {
    get: invocation(c.get, "commands.get", baseDir),
    put: invocation(c.put, "commands.put", baseDir),
    delete: invocation(c.delete, "commands.delete", baseDir),
    list: invocation(c.list, "commands.list", baseDir),
    ...(c.prune === undefined ? {} : { prune: invocation(c.prune, "commands.prune", baseDir) }),
  };
}

/**
 * Checks the options again (core validates them against the schema, but the backend may also be
 * created directly) and resolves paths against the manifest's directory.
 */
export function resolveOptions(raw: CommandBackendOptions, baseDir: string): ResolvedOptions {
  if (typeof raw !== "object" || raw === null) throw invalid("options must be an object");
  for (const field of Object.keys(raw)) {
    if (!(field in commandOptionsSchema.properties)) throw invalid(`unknown option "${field}"`);
  }
  const v1 = raw.commands !== undefined;
  if (v1 === (raw.process !== undefined)) throw invalid("set exactly one of commands and process");
  const envNames = raw.env ?? [];
  if (
    !Array.isArray(envNames) ||
    !envNames.every((n) => typeof n === "string" && new RegExp(ENV_NAME).test(n))
  ) {
    throw invalid("env must be an array of environment variable names");
  }
  if (raw.workingDir !== undefined && (typeof raw.workingDir !== "string" || raw.workingDir === "")) {
    throw invalid("workingDir must be a non-empty string");
  }
  const common: CommonOptions = {
    timeoutMs: Math.round(
      positive(raw.timeoutSeconds, "timeoutSeconds", DEFAULT_TIMEOUT_SECONDS, false, 86400) * 1000,
    ),
    envNames,
    cwd: path.resolve(baseDir, raw.workingDir ?? "."),
    maxOutputBytes: positive(raw.maxOutputBytes, "maxOutputBytes", DEFAULT_MAX_OUTPUT_BYTES, true),
    concurrency: positive(
      raw.concurrency,
      "concurrency",
      v1 ? DEFAULT_V1_CONCURRENCY : DEFAULT_V2_CONCURRENCY,
      true,
      256,
    ),
  };
  const putReadsStdin = flag(raw.putReadsStdin, "putReadsStdin");
  const conditionalWrites = flag(raw.conditionalWrites, "conditionalWrites");
  if (v1) {
    return {
      ...common,
      protocol: 1,
      commands: commandSet(raw.commands, baseDir),
      putReadsStdin,
      conditionalWrites,
    };
  }
  if (raw.putReadsStdin !== undefined)
    throw invalid("putReadsStdin (put_reads_stdin) applies to commands (protocol v1) only");
  if (raw.conditionalWrites !== undefined) {
    throw invalid(
      "conditionalWrites (conditional_writes) applies to commands (protocol v1) only: a process provider announces conditional_writes in its handshake",
    );
  }
  return { ...common, protocol: 2, process: invocation(raw.process, "process", baseDir) };
}
