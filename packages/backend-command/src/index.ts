import { BACKEND_SPECIFICATION_VERSION, defineBackend } from "@store/core/backend";
import { createCommandBackend } from "./backend";
import { COMMAND_BACKEND_NAME, type CommandBackendOptions, commandOptionsSchema } from "./options";

export { HOST_ENV_NAMES } from "./env";
export {
  COMMAND_BACKEND_NAME,
  type CommandBackendOptions,
  type CommandLine,
  type CommandSet,
  commandOptionsSchema,
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_TIMEOUT_SECONDS,
  DEFAULT_V1_CONCURRENCY,
  DEFAULT_V2_CONCURRENCY,
} from "./options";
export { TRACE_ELIDE_AT } from "./trace";
export { CONFLICT_EXIT_CODE } from "./v1/outcome";
export { MAX_ENV_STRING_BYTES, VALUE_ENV_MAX_BYTES } from "./v1/value";
export { PROTOCOL_VERSION, type ProviderCapabilities } from "./v2/handshake";

/**
 * Any program as a store provider: protocol v1 spawns one command per op (seed-compatible), protocol
 * v2 keeps one process and pipelines JSON-line requests to it.
 *
 * The definition declares what some provider can do natively; every instance narrows it to what its
 * provider does (`instance.capabilities`): `cursor` only for a v2 provider that announces it, `prune`
 * unless a v1 provider has no prune command, `conditionalWrites` for a v1 provider that declares
 * `conditional_writes` and a v2 provider that announces it. Core emulates or refuses the rest.
 */
export const commandBackend = defineBackend<CommandBackendOptions>({
  name: COMMAND_BACKEND_NAME,
  specificationVersion: BACKEND_SPECIFICATION_VERSION,
  capabilities: { retentionOnPut: false, cursor: true, prune: true, conditionalWrites: true },
  optionsSchema: commandOptionsSchema,
  create: createCommandBackend,
});

export default commandBackend;
