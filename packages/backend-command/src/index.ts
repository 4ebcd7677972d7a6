import { type BackendInstance, defineBackend } from "@store/core";
import { type CommandBackendOptions, optionsSchema, resolveOptions } from "./options";
import { CommandsInstance } from "./v1";
import { ProcessInstance } from "./v2";

export { HOST_ENV_NAMES } from "./env";
export type { CommandBackendOptions, CommandLine, CommandSet } from "./options";
export {
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_TIMEOUT_SECONDS,
  DEFAULT_V1_CONCURRENCY,
  DEFAULT_V2_CONCURRENCY,
} from "./options";
export { MAX_ENV_STRING_BYTES } from "./v1";
export { PROTOCOL_VERSION, type ProviderCapabilities } from "./v2";

/** The name core registers this backend under: it serves every provider with `commands:` or `process:`. */
export const COMMAND_BACKEND_NAME = "command";

/**
 * Any program as a store provider: protocol v1 spawns one command per op (seed-compatible), protocol
 * v2 keeps one process and pipelines JSON-line requests to it.
 *
 * Capabilities are per definition, so they describe what this backend guarantees for both protocols:
 * keyset paging is native in v2 providers that announce it and emulated over LIMIT/OFFSET otherwise;
 * prune is declared, and a v1 provider without a prune command answers UNSUPPORTED.
 */
export const commandBackend = defineBackend<CommandBackendOptions>({
  name: COMMAND_BACKEND_NAME,
  specificationVersion: "v1",
  capabilities: {
    retentionOnPut: false,
    cursor: true,
    prune: true,
    ttlFilter: false,
    preservesTimestamps: true,
    putMany: true,
  },
  optionsSchema,
  create(options, context): BackendInstance {
    const resolved = resolveOptions(options, context.baseDir);
    if (resolved.commands) return new CommandsInstance({ ...resolved, commands: resolved.commands }, context);
    return new ProcessInstance({ ...resolved, process: resolved.process! }, context);
  },
});

export default commandBackend;
