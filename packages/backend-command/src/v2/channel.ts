import type { Socket } from "node:net";
import { quoteStart, type StoreError } from "@store/core/backend";
import type { ResultPromise } from "execa";
import { type OpLabel, providerError, withStderr } from "../errors";
import { execaFunction } from "../execa";
import { adoptGroup, endGroup, killGroup } from "../groups";
import type { Invocation } from "../options";
import { spawnFailure } from "../spawn-errors";
import { Tail } from "../tail";
import { elideLine, type Trace } from "../trace";
import { LineReader, LineWriter } from "./framing";

export type Message = Record<string, unknown>;

/** The error every request in flight gets when the channel fails, made for each request's label. */
export type Failure = (label: OpLabel) => StoreError;

interface Pending {
  label: OpLabel;
  sentAt: number;
  timer: NodeJS.Timeout;
  resolve(message: Message): void;
  reject(error: StoreError): void;
}

export interface ChannelOptions {
  invocation: Invocation;
  cwd: string;
  env: Record<string, string>;
  /** How long a request waits for its reply. */
  timeoutMs: number;
  /** The longest reply line. */
  maxLine: number;
  trace: Trace;
}

/** The provider leads its own process group; its output is read as it comes, never buffered by execa. */
const SPAWN = {
  extendEnv: false,
  detached: true,
  stdin: "pipe",
  stdout: "pipe",
  stderr: "pipe",
  encoding: "buffer",
  buffer: false,
  stripFinalNewline: false,
  reject: false,
} as const;

type Subprocess = ResultPromise<typeof SPAWN & { cwd: string; env: Record<string, string> }>;

/**
 * The request/reply layer of protocol v2 over one running provider process: requests carry an id,
 * replies are matched to them in any order, each request has its own timeout. The process holds the
 * host open only while a request is in flight or the channel is closing, so a host that forgets
 * close() still exits, and one that awaits a reply or close() always gets it.
 */
export class Channel {
  private readonly pending = new Map<number, Pending>();
  private readonly stderr = new Tail();
  private readonly reader: LineReader;
  private readonly writer: LineWriter;
  private nextId = 1;
  private closing = false;
  /** No request may be sent: the process failed, exited or is closing. */
  dead = false;
  /** Settles once the process has exited (or failed to start) and its group is gone. */
  readonly exited: Promise<void>;

  static async open(options: ChannelOptions): Promise<Channel> {
    const execa = await execaFunction();
    const { file, args } = options.invocation;
    const subprocess: Subprocess = execa(file, args, { ...SPAWN, cwd: options.cwd, env: options.env });
    adoptGroup(subprocess);
    return new Channel(subprocess, options);
  }

  private constructor(
    private readonly subprocess: Subprocess,
    private readonly options: ChannelOptions,
  ) {
    const max = options.maxLine;
    this.reader = new LineReader(
      max,
      (line) => this.line(line),
      () =>
        this.fail((l) =>
          providerError(
            "PROVIDER_PROTOCOL",
            l,
            `the provider wrote a line longer than max_output_bytes (${max}); it was stopped`,
          ),
        ),
    );
    this.writer = new LineWriter(subprocess.stdin);
    subprocess.stdout.on("data", (chunk: Buffer) => this.reader.push(chunk));
    subprocess.stderr.on("data", (chunk: Buffer) => this.stderr.push(chunk));
    subprocess.stdin.on("error", () => {}); // EPIPE after a crash: the exit reports it.
    this.exited = subprocess.then((result) => {
      endGroup(subprocess);
      if (result.exitCode === undefined && result.signal === undefined) {
        const cause = (result as { cause?: { code?: string; message?: string } }).cause;
        const error = { code: cause?.code ?? result.code, message: cause?.message ?? result.message ?? "" };
        this.fail((l) => spawnFailure(l, options.invocation, options.cwd, error));
        return;
      }
      const how =
        result.exitCode === undefined
          ? `was killed by ${result.signal}`
          : `exited with code ${result.exitCode}`;
      this.fail((l) =>
        providerError(
          "PROVIDER_FAILED",
          l,
          withStderr(
            `the provider process ${options.invocation.display} ${how}; it restarts on the next request`,
            this.stderr.toString(),
          ),
          { details: { exitCode: result.exitCode, signal: result.signal } },
        ),
      );
    });
    this.hold(false);
  }

  /** Sends one request; resolves its reply, whatever it says. Rejects on timeout or when the channel fails. */
  request(label: OpLabel, body: string): Promise<Message> {
    const id = this.nextId++;
    return new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => this.timeout(id), this.options.timeoutMs);
      this.pending.set(id, { label, sentAt: performance.now(), timer, resolve, reject });
      if (this.pending.size === 1) this.hold(true);
      const line = `{"id":${id},${body}}`;
      this.options.trace?.(`v2 → ${elideLine(line)}`);
      this.writer.write(`${line}\n`);
    });
  }

  /** Stops the channel for good: kills the process group and fails every request in flight. */
  fail(error: Failure): void {
    this.dead = true;
    if (this.subprocess.pid !== undefined && this.subprocess.exitCode === null)
      killGroup(this.subprocess.pid);
    for (const [id, pending] of this.pending) {
      this.forget(id, pending);
      pending.reject(error(pending.label));
    }
  }

  /**
   * Closes stdin and waits up to `graceMs` for the provider to exit by itself, then kills its group.
   * The host stays up until the process is gone.
   */
  async close(graceMs: number): Promise<void> {
    this.dead = true;
    this.closing = true;
    this.hold(true);
    this.subprocess.stdin.end();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
    });
    const exited = await Promise.race([this.exited.then(() => true), grace]);
    clearTimeout(timer);
    if (!exited) {
      this.fail((l) => providerError("PROVIDER_FAILED", l, "the provider was closed"));
      await this.exited;
    }
  }

  private line(line: string): void {
    this.options.trace?.(`v2 ← ${elideLine(line)}`);
    let reply: unknown;
    try {
      reply = JSON.parse(line);
    } catch {
      reply = undefined;
    }
    const id = (reply as Message | undefined)?.id;
    if (typeof reply !== "object" || reply === null || Array.isArray(reply) || typeof id !== "number") {
      this.fail((l) =>
        providerError(
          "PROVIDER_PROTOCOL",
          l,
          `the provider wrote a line that is not a JSON reply with an "id": ${quoteStart(line)} (logs belong on stderr); it was stopped and restarts on the next request`,
        ),
      );
      return;
    }
    const pending = this.pending.get(id);
    if (!pending) return; // the reply to a request that already timed out
    this.forget(id, pending);
    pending.resolve(reply as Message);
  }

  private timeout(id: number): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.forget(id, pending);
    const seconds = this.options.timeoutMs / 1000;
    pending.reject(
      providerError(
        "PROVIDER_TIMEOUT",
        pending.label,
        withStderr(`no reply within ${seconds} s to request ${id}`, this.stderr.toString()),
        {
          details: { timeoutSeconds: seconds, id },
        },
      ),
    );
    // Silent since this request went out: the provider is hung, not just slow on one request.
    if (this.reader.lastLineAt < pending.sentAt) {
      this.fail((l) =>
        providerError(
          "PROVIDER_TIMEOUT",
          l,
          `the provider stopped answering for ${seconds} s; it was killed and restarts on the next request`,
        ),
      );
    }
  }

  private forget(id: number, pending: Pending): void {
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (this.pending.size === 0) this.hold(false);
  }

  /** Whether the process and its pipes keep the host's event loop alive. */
  private hold(on: boolean): void {
    if (!on && this.closing) return;
    const { subprocess } = this;
    const handles = [subprocess, subprocess.stdin, subprocess.stdout, subprocess.stderr] as unknown[];
    for (const handle of handles as Array<Partial<Pick<Socket, "ref" | "unref">> | null>) {
      if (on) handle?.ref?.();
      else handle?.unref?.();
    }
  }
}
