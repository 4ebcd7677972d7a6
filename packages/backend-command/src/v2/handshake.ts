import { StoreError } from "@store/core/backend";
import { isObject, quoteJson } from "../entry";
import { type OpLabel, providerError } from "../errors";
import { Channel, type ChannelOptions } from "./channel";

/** The protocol version this backend speaks in the handshake. */
export const PROTOCOL_VERSION = 2;

/** What a v2 provider may announce in its handshake; everything defaults to false. */
export interface ProviderCapabilities {
  /** `list` honours `after: {updated_at, key}` (keyset paging). */
  cursor: boolean;
  /** `put_many` writes a batch of entries. */
  putMany: boolean;
  /** put and delete honour `if_version` / `if_absent`, checking and writing atomically, and report versions. */
  conditionalWrites: boolean;
}

function announced(hello: Record<string, unknown>): ProviderCapabilities {
  const caps = isObject(hello.capabilities) ? hello.capabilities : {};
  return {
    cursor: caps.cursor === true,
    putMany: caps.put_many === true,
    conditionalWrites: caps.conditional_writes === true,
  };
}

/**
 * Starts the provider and completes the handshake: `{"op":"hello","protocol":2}` answered by
 * `{"ok":true,"protocol":2,"capabilities":{…}}`. A provider that fails it is killed.
 */
export async function startProvider(
  options: ChannelOptions,
  label: OpLabel,
): Promise<{ channel: Channel; capabilities: ProviderCapabilities }> {
  const channel = await Channel.open(options);
  const display = options.invocation.display;
  const refuse = (reason: string, cause?: unknown): StoreError => {
    const code = StoreError.isInstance(cause) ? cause.code : "PROVIDER_PROTOCOL";
    const error = providerError(
      code,
      label,
      `the provider ${display} did not complete its handshake: ${reason}`,
      {
        ...(cause === undefined ? {} : { cause }),
      },
    );
    channel.fail(() => error);
    return error;
  };
  let hello: Record<string, unknown>;
  try {
    hello = await channel.request(label, `"op":"hello","protocol":${PROTOCOL_VERSION}`);
  } catch (error) {
    const reason =
      StoreError.isInstance(error) && typeof error.details.reason === "string"
        ? error.details.reason
        : String(error);
    throw refuse(reason, error);
  }
  if (hello.ok !== true || hello.protocol !== PROTOCOL_VERSION) {
    throw refuse(
      `it must answer "ok": true and "protocol": ${PROTOCOL_VERSION}; the provider answered ${quoteJson(hello)}`,
    );
  }
  return { channel, capabilities: announced(hello) };
}
