import type { BackendContext, BackendInstance } from "@store/core/backend";
import { type CommandBackendOptions, resolveOptions } from "./options";
import { CommandsBackend } from "./v1/backend";
import { ProcessBackend } from "./v2/backend";

/**
 * The instance for one provider: protocol v1 (`commands`) or v2 (`process`, started here so that its
 * handshake decides the instance's capabilities).
 */
export async function createCommandBackend(
  options: CommandBackendOptions,
  context: BackendContext,
): Promise<BackendInstance> {
  const resolved = resolveOptions(options, context.baseDir);
  return resolved.protocol === 1
    ? new CommandsBackend(resolved, context)
    : ProcessBackend.start(resolved, context);
}
