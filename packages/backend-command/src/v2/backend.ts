import type {
  BackendCapabilities,
  BackendContext,
  BackendInstance,
  Conflict,
  DeleteOptions,
  GetQuery,
  ListQuery,
  PruneQuery,
  PutOptions,
  PutRecord,
  StoreEntry,
  StoreRef,
} from "@store/core/backend";
import { putEach } from "../batch";
import { baseEnvironment } from "../env";
import { closedError, type OpLabel, opLabel, providerError } from "../errors";
import { OpGate } from "../gate";
import type { V2Options } from "../options";
import { tracer } from "../trace";
import type { Channel, ChannelOptions, Message } from "./channel";
import {
  conflictOf,
  decodeDelete,
  decodeGet,
  decodeList,
  decodePrune,
  decodePut,
  deleteRequest,
  getRequest,
  listRequest,
  pruneRequest,
  putManyRequests,
  putRequest,
  replyError,
} from "./encode";
import { type ProviderCapabilities, startProvider } from "./handshake";

/** How long close() waits for the provider to exit after its stdin is closed (at most the timeout). */
const CLOSE_GRACE_MS = 5000;

function sameCapabilities(a: ProviderCapabilities, b: ProviderCapabilities): boolean {
  return a.cursor === b.cursor && a.putMany === b.putMany && a.conditionalWrites === b.conditionalWrites;
}

/**
 * Protocol v2: one long-running provider process answering JSON lines, requests pipelined (up to
 * `concurrency` in flight). The process is started by `create`, so the instance knows what the
 * provider announced; after a crash the next request starts a new one.
 */
export class ProcessBackend implements BackendInstance {
  readonly capabilities: Partial<BackendCapabilities>;
  private readonly gate: OpGate;
  private starting?: Promise<Channel>;

  /** Starts the provider and completes its handshake. */
  static async start(options: V2Options, context: BackendContext): Promise<ProcessBackend> {
    const channelOptions: ChannelOptions = {
      invocation: options.process,
      cwd: options.cwd,
      env: baseEnvironment(options.envNames),
      timeoutMs: options.timeoutMs,
      maxLine: options.maxOutputBytes,
      trace: tracer(context.providerName),
    };
    const label: OpLabel = { provider: context.providerName, op: "start", store: "", project: "" };
    const { channel, capabilities } = await startProvider(channelOptions, label);
    return new ProcessBackend(options, context, channelOptions, channel, capabilities);
  }

  private constructor(
    private readonly options: V2Options,
    private readonly context: BackendContext,
    private readonly channelOptions: ChannelOptions,
    private channel: Channel | undefined,
    private readonly announced: ProviderCapabilities,
  ) {
    this.gate = new OpGate(options.concurrency);
    this.capabilities = {
      retentionOnPut: false,
      cursor: announced.cursor,
      prune: true,
      conditionalWrites: announced.conditionalWrites,
    };
  }

  async get(ref: StoreRef, key: string, query: GetQuery): Promise<StoreEntry | undefined> {
    const label = this.label("get", ref, key);
    return decodeGet(await this.send(label, getRequest(ref, key, query)), key, label);
  }

  async put(ref: StoreRef, record: PutRecord, options: PutOptions): Promise<number | Conflict> {
    const label = this.label("put", ref, record.key);
    const conditional = options.ifVersion !== undefined || options.ifAbsent === true;
    const reply = await this.send(label, putRequest(ref, record, options), conditional);
    return conflictOf(reply, label) ?? decodePut(reply, record, this.announced.conditionalWrites, label);
  }

  async putMany(ref: StoreRef, records: PutRecord[]): Promise<void> {
    if (!this.announced.putMany) return putEach(records, (record) => this.put(ref, record, {}));
    const label = this.label("put_many", ref);
    await Promise.all(putManyRequests(ref, records).map((request) => this.send(label, request)));
  }

  async delete(ref: StoreRef, key: string, options: DeleteOptions): Promise<boolean | Conflict> {
    const label = this.label("delete", ref, key);
    const reply = await this.send(label, deleteRequest(ref, key, options), options.ifVersion !== undefined);
    return conflictOf(reply, label) ?? decodeDelete(reply, label);
  }

  async list(ref: StoreRef, query: ListQuery): Promise<StoreEntry[]> {
    const label = this.label("list", ref);
    return decodeList(await this.send(label, listRequest(ref, query)), query.limit, label);
  }

  async prune(ref: StoreRef, query: PruneQuery): Promise<number> {
    const label = this.label("prune", ref);
    return decodePrune(await this.send(label, pruneRequest(ref, query)), label);
  }

  /** Waits for requests in flight, closes the provider's stdin, waits for it to exit (or kills it). */
  async close(): Promise<void> {
    await this.gate.close();
    const channel = this.channel ?? (await this.starting?.catch(() => undefined));
    this.channel = undefined;
    await channel?.close(Math.min(CLOSE_GRACE_MS, this.options.timeoutMs));
  }

  private label(op: string, ref: StoreRef, key?: string): OpLabel {
    return opLabel(this.context.providerName, op, ref, key);
  }

  /**
   * Sends one request through the gate and resolves its reply when it says `"ok": true` (or, for a
   * conditional write, reports a conflict); any other answer is an error.
   */
  private send(label: OpLabel, body: string, conditional = false): Promise<Message> {
    return this.gate.run(label, async () => {
      const channel = this.channel && !this.channel.dead ? this.channel : await this.restart(label);
      const reply = await channel.request(label, body);
      if (reply.ok === true || (conditional && conflictOf(reply, label))) return reply;
      throw replyError(label, reply);
    });
  }

  /** A new provider process after the last one failed; one start for every request waiting on it. */
  private restart(label: OpLabel): Promise<Channel> {
    this.starting ??= (async () => {
      const { channel, capabilities } = await startProvider(this.channelOptions, label);
      if (!sameCapabilities(capabilities, this.announced)) {
        const error = providerError(
          "PROVIDER_PROTOCOL",
          label,
          `the restarted provider announced ${JSON.stringify(capabilities)}, not ${JSON.stringify(this.announced)} as when it first started`,
        );
        channel.fail(() => error);
        throw error;
      }
      if (this.gate.isClosed) {
        await channel.close(0);
        throw closedError(label);
      }
      this.channel = channel;
      return channel;
    })().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }
}
