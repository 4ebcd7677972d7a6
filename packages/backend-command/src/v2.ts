import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import type { Socket } from "node:net";
import {
  type BackendContext,
  type BackendInstance,
  type GetQuery,
  type ListQuery,
  type PruneQuery,
  type PutRecord,
  type StoreEntry,
  StoreError,
  type StoreRef,
} from "@store/core";
import { CursorEmulation } from "./cursor";
import { baseEnvironment } from "./env";
import { BACKEND_NAME, type OpLabel, providerError, quoteStart, withStderr } from "./errors";
import type { ResolvedOptions } from "./options";
import { parseEntry } from "./parse";
import { Semaphore } from "./queue";
import { killGroup, Tail } from "./run";

/** The protocol version this backend speaks in the handshake. */
export const PROTOCOL_VERSION = 2;

/** What a v2 provider may announce in its handshake; everything defaults to false. */
export interface ProviderCapabilities {
  /** `list` honours `after: {updated_at, key}` (keyset paging). */
  cursor: boolean;
  /** `get` and `list` honour `not_before`. */
  not_before: boolean;
  /** `put_many` writes a batch of entries. */
  put_many: boolean;
}

/** A put_many request holds at most this much value JSON; bigger batches are split. */
const PUT_MANY_BYTES = 8 * 1024 * 1024;
/** How long close() waits for the provider to exit after its stdin is closed. */
const CLOSE_GRACE_MS = 5000;

type Message = Record<string, unknown>;

interface Pending {
  label: OpLabel;
  sentAt: number;
  timer: NodeJS.Timeout;
  resolve(message: Message): void;
  reject(error: StoreError): void;
}

/** One running provider process. */
class Connection {
  readonly pending = new Map<number, Pending>();
  readonly stderr = new Tail();
  capabilities: ProviderCapabilities = { cursor: false, not_before: false, put_many: false };
  dead = false;
  lastLineAt = 0;
  private partial: Buffer[] = [];
  private partialBytes = 0;
  readonly exited: Promise<void>;

  constructor(
    readonly child: ChildProcess,
    private readonly maxLine: number,
    private readonly onLine: (line: string) => void,
    private readonly onFatal: (error: (label: OpLabel) => StoreError) => void,
  ) {
    child.stdout?.on("data", (chunk: Buffer) => this.data(chunk));
    child.stderr?.on("data", (chunk: Buffer) => this.stderr.push(chunk));
    child.stdin?.on("error", () => {}); // EPIPE after a crash; the close handler reports it.
    child.on("error", () => {}); // Spawn failures are reported by start(); later ones by "close".
    this.exited = new Promise((resolve) => child.once("close", () => resolve()));
    // A provider must not keep the host process alive on its own: pending requests hold timers.
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as Socket | null)?.unref?.();
  }

  private corked = false;

  /** Requests issued in the same tick go out in one write: 64 pipelined requests cost one syscall. */
  write(line: string): void {
    const stdin = this.child.stdin;
    if (!stdin) return;
    if (!this.corked) {
      this.corked = true;
      stdin.cork();
      process.nextTick(() => {
        this.corked = false;
        stdin.uncork();
      });
    }
    stdin.write(line);
  }

  private data(chunk: Buffer): void {
    let start = 0;
    let newline = chunk.indexOf(10);
    while (newline !== -1) {
      if (this.partialBytes + newline - start > this.maxLine) {
        this.tooLong();
        return;
      }
      let line: string;
      if (this.partial.length > 0) {
        this.partial.push(chunk.subarray(start, newline));
        line = Buffer.concat(this.partial).toString("utf8");
        this.partial = [];
        this.partialBytes = 0;
      } else {
        line = chunk.toString("utf8", start, newline);
      }
      this.lastLineAt = performance.now();
      if (line.length > 0 && !this.dead) this.onLine(line);
      start = newline + 1;
      newline = chunk.indexOf(10, start);
    }
    if (start < chunk.length) {
      this.partial.push(start === 0 ? chunk : chunk.subarray(start));
      this.partialBytes += chunk.length - start;
      if (this.partialBytes > this.maxLine) this.tooLong();
    }
  }

  private tooLong(): void {
    const max = this.maxLine;
    this.partial = [];
    this.partialBytes = 0;
    this.onFatal((label) =>
      providerError(
        "PROVIDER_PROTOCOL",
        label,
        `the provider wrote a line longer than max_output_bytes (${max}); it was stopped`,
      ),
    );
  }
}

/**
 * Protocol v2: one long-running provider process, started on first use, answering JSON lines.
 * Requests are pipelined (up to `concurrency` in flight) and matched to responses by id.
 */
export class ProcessInstance implements BackendInstance {
  private readonly queue: Semaphore;
  private readonly env: Record<string, string>;
  private readonly cursor: CursorEmulation;
  private connection?: Connection;
  private starting?: Promise<Connection>;
  private nextId = 1;
  private closed = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly options: ResolvedOptions & { process: NonNullable<ResolvedOptions["process"]> },
    private readonly context: BackendContext,
  ) {
    this.queue = new Semaphore(options.concurrency);
    this.env = baseEnvironment(options.envNames);
    this.cursor = new CursorEmulation((ref, limit, offset, notBefore) =>
      this.listPage(ref, limit, offset, undefined, notBefore),
    );
  }

  async get(ref: StoreRef, key: string, query: GetQuery): Promise<StoreEntry | undefined> {
    const label = this.label("get", ref, key);
    const notBefore = query.notBefore ? `,"not_before":${JSON.stringify(query.notBefore)}` : "";
    const reply = await this.request(
      label,
      `"op":"get",${this.where(ref)},"key":${JSON.stringify(key)}${notBefore}`,
    );
    if (!("entry" in reply))
      throw this.protocol(label, reply, `a get reply needs "entry" (an entry, or null when absent)`);
    if (reply.entry === null) return undefined;
    const entry = parseEntry(reply.entry, label, "the entry");
    if (entry.key !== key)
      throw this.protocol(label, reply, `the reply is for key ${JSON.stringify(entry.key)}`);
    return entry;
  }

  async put(ref: StoreRef, record: PutRecord): Promise<void> {
    const label = this.label("put", ref, record.key);
    const reply = await this.request(label, `"op":"put",${this.where(ref)},"entry":${entryJson(record)}`);
    this.expectOk(label, reply);
  }

  async putMany(ref: StoreRef, records: PutRecord[]): Promise<void> {
    const connection = await this.connect(this.label("put", ref));
    if (!connection.capabilities.put_many) {
      // Pipelined puts; repeats of one key keep their order.
      const chains = new Map<string, Promise<void>>();
      for (const r of records) {
        const previous = chains.get(r.key);
        chains.set(r.key, previous ? previous.then(() => this.put(ref, r)) : this.put(ref, r));
      }
      const failed = (await Promise.allSettled(chains.values())).find((r) => r.status === "rejected");
      if (failed) throw (failed as PromiseRejectedResult).reason;
      return;
    }
    const label = this.label("put_many", ref);
    let batch: string[] = [];
    let bytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const body = `"op":"put_many",${this.where(ref)},"entries":[${batch.join(",")}]`;
      batch = [];
      bytes = 0;
      this.expectOk(label, await this.request(label, body));
    };
    for (const record of records) {
      const json = entryJson(record);
      if (bytes + json.length > PUT_MANY_BYTES) await flush();
      batch.push(json);
      bytes += json.length;
    }
    await flush();
  }

  async delete(ref: StoreRef, key: string): Promise<boolean> {
    const label = this.label("delete", ref, key);
    const reply = await this.request(label, `"op":"delete",${this.where(ref)},"key":${JSON.stringify(key)}`);
    if (typeof reply.existed !== "boolean")
      throw this.protocol(label, reply, `a delete reply needs "existed": true|false`);
    return reply.existed;
  }

  async list(ref: StoreRef, query: ListQuery): Promise<StoreEntry[]> {
    const connection = await this.connect(this.label("list", ref));
    if (query.after && !connection.capabilities.cursor) return this.cursor.list(ref, query);
    return this.listPage(ref, query.limit, query.offset, query.after, query.notBefore);
  }

  private async listPage(
    ref: StoreRef,
    limit: number,
    offset: number,
    after?: ListQuery["after"],
    notBefore?: string,
  ): Promise<StoreEntry[]> {
    const label = this.label("list", ref);
    let body = `"op":"list",${this.where(ref)},"limit":${limit},"offset":${offset}`;
    if (after)
      body += `,"after":{"updated_at":${JSON.stringify(after.updatedAt)},"key":${JSON.stringify(after.key)}}`;
    if (notBefore) body += `,"not_before":${JSON.stringify(notBefore)}`;
    const reply = await this.request(label, body);
    if (!Array.isArray(reply.entries))
      throw this.protocol(label, reply, `a list reply needs "entries": [...]`);
    const count = Math.min(reply.entries.length, limit);
    const entries: StoreEntry[] = new Array(count);
    for (let i = 0; i < count; i++) entries[i] = parseEntry(reply.entries[i], label, `list entry ${i}`);
    return entries;
  }

  async prune(ref: StoreRef, query: PruneQuery): Promise<number> {
    const label = this.label("prune", ref);
    let body = `"op":"prune",${this.where(ref)}`;
    if (query.maxEntries !== undefined) body += `,"max_entries":${query.maxEntries}`;
    if (query.olderThan !== undefined) body += `,"older_than":${JSON.stringify(query.olderThan)}`;
    const reply = await this.request(label, body);
    const removed = reply.removed;
    if (typeof removed !== "number" || !Number.isInteger(removed) || removed < 0) {
      throw this.protocol(label, reply, `a prune reply needs "removed": N`);
    }
    return removed;
  }

  /** Waits for requests in flight, closes the provider's stdin and waits for it to exit (killing it after a grace period). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    const connection = this.connection ?? (await this.starting?.catch(() => undefined));
    this.connection = undefined;
    if (!connection || connection.dead) return;
    connection.dead = true;
    connection.child.stdin?.end();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), Math.min(CLOSE_GRACE_MS, this.options.timeoutMs));
    });
    const exited = await Promise.race([connection.exited.then(() => true), grace]);
    clearTimeout(timer);
    if (!exited) {
      killGroup(connection.child);
      await connection.exited;
    }
  }

  // ── plumbing ──────────────────────────────────────────────────────────────────────────────────

  private label(op: string, ref: StoreRef, key?: string): OpLabel {
    return {
      provider: this.context.providerName,
      op,
      store: ref.store,
      project: ref.project,
      ...(key === undefined ? {} : { key }),
    };
  }

  private where(ref: StoreRef): string {
    return `"store":${JSON.stringify(ref.store)},"project":${JSON.stringify(ref.project)}`;
  }

  private protocol(label: OpLabel, reply: Message, reason: string): StoreError {
    return providerError(
      "PROVIDER_PROTOCOL",
      label,
      `${reason}; the provider answered ${quoteStart(JSON.stringify(reply))}`,
    );
  }

  private expectOk(label: OpLabel, reply: Message): void {
    if (reply.ok !== true) throw this.protocol(label, reply, `expected "ok": true`);
  }

  /** Sends one request (through the in-flight queue) and resolves its successful reply. */
  private request(label: OpLabel, body: string): Promise<Message> {
    if (this.closed)
      return Promise.reject(
        new StoreError("CLOSED", `${BACKEND_NAME}: provider "${label.provider}" is closed`),
      );
    const task = this.queue.run(async () => {
      const connection =
        this.connection && !this.connection.dead ? this.connection : await this.connect(label);
      return this.send(connection, label, body);
    });
    this.inFlight.add(task);
    const forget = () => this.inFlight.delete(task);
    task.then(forget, forget);
    return task;
  }

  private send(connection: Connection, label: OpLabel, body: string): Promise<Message> {
    const id = this.nextId++;
    return new Promise<Message>((resolve, reject) => {
      const timeoutMs = this.options.timeoutMs;
      const pending: Pending = {
        label,
        sentAt: performance.now(),
        resolve,
        reject,
        timer: setTimeout(() => {
          connection.pending.delete(id);
          reject(
            providerError(
              "PROVIDER_TIMEOUT",
              label,
              withStderr(
                `no reply within ${timeoutMs / 1000} s to request ${id}`,
                connection.stderr.toString(),
              ),
              { details: { timeoutSeconds: timeoutMs / 1000, id } },
            ),
          );
          // Silent since this request went out: the provider is hung, not just slow on one request.
          if (connection.lastLineAt < pending.sentAt) {
            this.fail(connection, (l) =>
              providerError(
                "PROVIDER_TIMEOUT",
                l,
                `the provider stopped answering for ${timeoutMs / 1000} s; it was killed and restarts on the next request`,
              ),
            );
          }
        }, timeoutMs),
      };
      connection.pending.set(id, pending);
      connection.write(`{"id":${id},${body}}\n`);
    }).then((reply) => {
      if (reply.ok === true) return reply;
      throw this.replyError(label, reply);
    });
  }

  private replyError(label: OpLabel, reply: Message): StoreError {
    const error = reply.error;
    if (error === undefined) return this.protocol(label, reply, `a reply needs "ok": true or "error"`);
    const message =
      typeof error === "string"
        ? error
        : typeof (error as Message)?.message === "string"
          ? ((error as Message).message as string)
          : JSON.stringify(error);
    const code = typeof error === "object" && error !== null ? (error as Message).code : undefined;
    if (code === "UNSUPPORTED")
      return providerError("UNSUPPORTED", label, `the provider does not support this: ${message}`);
    return providerError("PROVIDER_FAILED", label, `the provider answered with an error: ${message}`, {
      details: { providerError: error },
    });
  }

  /** The running connection, starting the provider (and its handshake) when there is none. */
  private connect(label: OpLabel): Promise<Connection> {
    if (this.connection && !this.connection.dead) return Promise.resolve(this.connection);
    if (this.closed)
      return Promise.reject(
        new StoreError("CLOSED", `${BACKEND_NAME}: provider "${label.provider}" is closed`),
      );
    if (!this.starting) {
      this.starting = this.start(label).finally(() => {
        this.starting = undefined;
      });
    }
    return this.starting;
  }

  private async start(label: OpLabel): Promise<Connection> {
    const { file, args, display } = this.options.process;
    const startLabel = label;
    let child: ChildProcess;
    try {
      child = spawn(file, args, {
        cwd: this.options.cwd,
        env: this.env,
        detached: true,
        stdio: ["pipe", "pipe", "pipe"],
      });
    } catch (error) {
      throw this.spawnError(startLabel, error as NodeJS.ErrnoException);
    }
    const connection: Connection = new Connection(
      child,
      this.options.maxOutputBytes,
      (line) => this.line(connection, line),
      (error) => this.fail(connection, error),
    );
    const spawned = new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", (error: NodeJS.ErrnoException) => reject(this.spawnError(startLabel, error)));
    });
    child.once("close", (code, signal) => {
      const how = code === null ? `was killed by ${signal}` : `exited with code ${code}`;
      this.fail(connection, (l) =>
        providerError(
          "PROVIDER_FAILED",
          l,
          withStderr(
            `the provider process ${display} ${how}; it restarts on the next request`,
            connection.stderr.toString(),
          ),
          {
            details: { exitCode: code, signal },
          },
        ),
      );
    });
    await spawned;
    const hello = await this.send(
      connection,
      startLabel,
      `"op":"hello","protocol":${PROTOCOL_VERSION}`,
    ).catch((error: unknown) => {
      this.fail(connection, () => error as StoreError);
      if (!StoreError.isInstance(error)) throw error;
      const reason = typeof error.details.reason === "string" ? error.details.reason : error.message;
      throw providerError(
        error.code,
        startLabel,
        `the provider ${display} did not complete its handshake: ${reason}`,
        {
          cause: error,
        },
      );
    });
    if (hello.protocol !== PROTOCOL_VERSION) {
      const error = this.protocol(
        startLabel,
        hello,
        `the handshake must answer "protocol": ${PROTOCOL_VERSION}`,
      );
      this.fail(connection, () => error);
      throw error;
    }
    const caps = (
      typeof hello.capabilities === "object" && hello.capabilities !== null ? hello.capabilities : {}
    ) as Message;
    connection.capabilities = {
      cursor: caps.cursor === true,
      not_before: caps.not_before === true,
      put_many: caps.put_many === true,
    };
    if (this.closed) {
      this.fail(
        connection,
        (l) => new StoreError("CLOSED", `${BACKEND_NAME}: provider "${l.provider}" is closed`),
      );
      throw new StoreError("CLOSED", `${BACKEND_NAME}: provider "${label.provider}" is closed`);
    }
    this.connection = connection;
    return connection;
  }

  private line(connection: Connection, line: string): void {
    let reply: unknown;
    try {
      reply = JSON.parse(line);
    } catch {
      reply = undefined;
    }
    const id = (reply as Message | undefined)?.id;
    if (typeof reply !== "object" || reply === null || Array.isArray(reply) || typeof id !== "number") {
      this.fail(connection, (l) =>
        providerError(
          "PROVIDER_PROTOCOL",
          l,
          `the provider wrote a line that is not a JSON reply with an "id": ${quoteStart(line)} (logs belong on stderr); it was stopped and restarts on the next request`,
        ),
      );
      return;
    }
    const pending = connection.pending.get(id);
    if (!pending) return; // The reply to a request that already timed out.
    connection.pending.delete(id);
    clearTimeout(pending.timer);
    pending.resolve(reply as Message);
  }

  /** Stops a connection for good: kills its process group and fails every request in flight. */
  private fail(connection: Connection, error: (label: OpLabel) => StoreError): void {
    if (connection.dead && connection.pending.size === 0) return;
    connection.dead = true;
    if (this.connection === connection) this.connection = undefined;
    killGroup(connection.child);
    for (const [id, pending] of connection.pending) {
      connection.pending.delete(id);
      clearTimeout(pending.timer);
      pending.reject(error(pending.label));
    }
  }

  private spawnError(label: OpLabel, error: NodeJS.ErrnoException): StoreError {
    const { file, display } = this.options.process;
    const cwd = this.options.cwd;
    let reason: string;
    if (error.code === "ENOENT" && !fs.existsSync(cwd))
      reason = `the working directory ${cwd} does not exist`;
    else if (error.code === "ENOENT")
      reason = `executable ${quoteStart(file, 300)} not found (working directory ${cwd})`;
    else if (error.code === "EACCES")
      reason = `executable ${quoteStart(file, 300)} is not executable (permission denied)`;
    else reason = `cannot start ${display}: ${error.message}`;
    return providerError("PROVIDER_FAILED", label, reason, { cause: error, details: { errno: error.code } });
  }
}

/** An entry as a v2 request carries it; the value is core's serialization, spliced in as is. */
function entryJson(record: PutRecord): string {
  const created = record.createdAt ? `,"created_at":${JSON.stringify(record.createdAt)}` : "";
  return `{"key":${JSON.stringify(record.key)},"value":${record.json},"updated_at":${JSON.stringify(record.updatedAt)}${created},"task_id":${JSON.stringify(record.taskId)}}`;
}
