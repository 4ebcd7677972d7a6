import fs from "node:fs";
import {
  type BackendContext,
  type BackendInstance,
  DAY_MS,
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
import type { Invocation, ResolvedOptions } from "./options";
import { parseDeleteOutput, parseGetOutput, parseListOutput, parsePruneOutput } from "./parse";
import { Semaphore } from "./queue";
import { runCommand } from "./run";

/**
 * Linux refuses one environment string longer than MAX_ARG_STRLEN (32 pages = 128 KiB, counting
 * `VALUE=` and the terminating NUL): exec fails with E2BIG. Larger values go on stdin only.
 */
export const MAX_ENV_STRING_BYTES = 128 * 1024;

type Op = "get" | "put" | "delete" | "list" | "prune";

/** Protocol v1: every op spawns its command with the protocol variables (brief §5). */
export class CommandsInstance implements BackendInstance {
  private readonly queue: Semaphore;
  private readonly base: Record<string, string>;
  private readonly cursor: CursorEmulation;
  private readonly running = new Set<Promise<unknown>>();
  private closed = false;

  constructor(
    private readonly options: ResolvedOptions & { commands: NonNullable<ResolvedOptions["commands"]> },
    private readonly context: BackendContext,
  ) {
    this.queue = new Semaphore(options.concurrency);
    this.base = baseEnvironment(options.envNames);
    this.cursor = new CursorEmulation((ref, limit, offset, notBefore) =>
      this.listPage(ref, limit, offset, notBefore),
    );
  }

  async get(ref: StoreRef, key: string, query: GetQuery): Promise<StoreEntry | undefined> {
    const label = this.label("get", ref, key);
    const env = this.env(ref, "get");
    env.KEY = key;
    if (query.notBefore) env.NOT_BEFORE = query.notBefore;
    const stdout = await this.exec(this.options.commands.get, label, env);
    return parseGetOutput(stdout, key, label);
  }

  async put(ref: StoreRef, record: PutRecord): Promise<void> {
    const label = this.label("put", ref, record.key);
    const env = this.env(ref, "put");
    env.KEY = record.key;
    env.TASK_ID = record.taskId;
    env.UPDATED_AT = record.updatedAt;
    if (record.createdAt) env.CREATED_AT = record.createdAt;
    const bytes = Buffer.byteLength(record.json, "utf8");
    // "VALUE=" + value + NUL must fit one environment string; otherwise the value goes on stdin only.
    const inEnv = bytes + 7 <= MAX_ENV_STRING_BYTES;
    if (inEnv) env.VALUE = record.json;
    else if (this.options.putReadsStdin) env.VALUE_BYTES = String(bytes);
    else {
      throw providerError(
        "VALUE_TOO_LARGE",
        label,
        `the value is ${bytes} bytes, too large for the $VALUE environment variable (at most ${MAX_ENV_STRING_BYTES - 7} bytes); nothing was run. If the put command reads the value from stdin (it is always written there), set put_reads_stdin: true in the provider's spec`,
        { details: { bytes, limit: MAX_ENV_STRING_BYTES - 7 } },
      );
    }
    await this.exec(this.options.commands.put, label, env, record.json, inEnv ? undefined : bytes);
  }

  async putMany(ref: StoreRef, records: PutRecord[]): Promise<void> {
    // Distinct keys run side by side (bounded by the queue); repeats of a key keep their order.
    const chains = new Map<string, Promise<void>>();
    for (const record of records) {
      const previous = chains.get(record.key);
      chains.set(record.key, previous ? previous.then(() => this.put(ref, record)) : this.put(ref, record));
    }
    const results = await Promise.allSettled(chains.values());
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  async delete(ref: StoreRef, key: string): Promise<boolean> {
    const label = this.label("delete", ref, key);
    const env = this.env(ref, "delete");
    env.KEY = key;
    return parseDeleteOutput(await this.exec(this.options.commands.delete, label, env), label);
  }

  list(ref: StoreRef, query: ListQuery): Promise<StoreEntry[]> {
    return this.cursor.list(ref, query);
  }

  private async listPage(
    ref: StoreRef,
    limit: number,
    offset: number,
    notBefore?: string,
  ): Promise<StoreEntry[]> {
    const label = this.label("list", ref);
    const env = this.env(ref, "list");
    env.LIMIT = String(limit);
    env.OFFSET = String(offset);
    if (notBefore) env.NOT_BEFORE = notBefore;
    return parseListOutput(await this.exec(this.options.commands.list, label, env), limit, label);
  }

  async prune(ref: StoreRef, query: PruneQuery): Promise<number> {
    const label = this.label("prune", ref);
    const command = this.options.commands.prune;
    if (!command) {
      throw new StoreError(
        "UNSUPPORTED",
        `${BACKEND_NAME}: provider "${this.context.providerName}" has no prune command, so store "${ref.store}" cannot be pruned and its retention (max_entries, ttl_days) cannot be applied: add commands.prune`,
        { details: { provider: this.context.providerName, store: ref.store } },
      );
    }
    const env = this.env(ref, "prune");
    if (query.maxEntries !== undefined) env.MAX_ENTRIES = String(query.maxEntries);
    if (query.olderThan !== undefined) {
      env.OLDER_THAN = query.olderThan;
      // Seed providers take whole days; core's cutoff is exactly now - ttl_days, on core's clock.
      env.TTL_DAYS = String(
        Math.max(1, Math.round((this.context.now() - Date.parse(query.olderThan)) / DAY_MS)),
      );
    }
    return parsePruneOutput(await this.exec(command, label, env), label);
  }

  async close(): Promise<void> {
    this.closed = true;
    // Running commands finish (each has its timeout); queued ones fail with CLOSED.
    await Promise.allSettled([...this.running]);
  }

  private label(op: Op, ref: StoreRef, key?: string): OpLabel {
    return {
      provider: this.context.providerName,
      op,
      store: ref.store,
      project: ref.project,
      ...(key === undefined ? {} : { key }),
    };
  }

  private env(ref: StoreRef, op: Op): Record<string, string> {
    const env = { ...this.base };
    env.STORE_OP = op;
    env.STORE_NAME = ref.store;
    env.PROJECT_ID = ref.project;
    return env;
  }

  /** Runs one command through the queue; resolves its stdout when it exits 0. */
  private exec(
    invocation: Invocation,
    label: OpLabel,
    env: Record<string, string>,
    input?: string,
    stdinOnly?: number,
  ): Promise<Buffer> {
    if (this.closed) return Promise.reject(this.closedError(label));
    const task = this.queue.run(() => {
      if (this.closed) return Promise.reject(this.closedError(label));
      return this.spawn(invocation, label, env, input, stdinOnly);
    });
    this.running.add(task);
    const forget = () => this.running.delete(task);
    task.then(forget, forget);
    return task;
  }

  private async spawn(
    invocation: Invocation,
    label: OpLabel,
    env: Record<string, string>,
    input: string | undefined,
    stdinOnly: number | undefined,
  ): Promise<Buffer> {
    const { cwd, timeoutMs, maxOutputBytes } = this.options;
    const result = await runCommand({ invocation, cwd, env, input, timeoutMs, maxStdout: maxOutputBytes });
    const hint =
      stdinOnly === undefined
        ? ""
        : ` (the value, ${stdinOnly} bytes, is too large for the $VALUE environment variable, at most ${MAX_ENV_STRING_BYTES - 7} bytes, so it was passed on stdin only, as put_reads_stdin says: the put command must read it from there)`;
    switch (result.kind) {
      case "exit": {
        if (result.code === 0) {
          if (stdinOnly !== undefined && !result.inputConsumed) {
            // Caught only for values larger than the socket buffer (about 200 KiB); hence put_reads_stdin.
            throw providerError(
              "PROVIDER_PROTOCOL",
              label,
              `the command exited without reading its stdin${hint}`,
              {
                details: { bytes: stdinOnly, limit: MAX_ENV_STRING_BYTES - 7 },
              },
            );
          }
          return result.stdout;
        }
        const how =
          result.code === null ? `was killed by ${result.signal}` : `exited with code ${result.code}`;
        let reason = `command ${invocation.display} ${how}`;
        if (result.code === 127) reason += ` (the shell could not find a program it runs)`;
        else if (result.code === 126) reason += ` (a program it runs is not executable)`;
        throw providerError("PROVIDER_FAILED", label, withStderr(reason, result.stderr) + hint, {
          details: { exitCode: result.code, signal: result.signal, stderr: result.stderr },
        });
      }
      case "timeout":
        throw providerError(
          "PROVIDER_TIMEOUT",
          label,
          withStderr(
            `command ${invocation.display} did not finish within ${timeoutMs / 1000} s; its process group was killed`,
            result.stderr,
          ),
          { details: { timeoutSeconds: timeoutMs / 1000, stderr: result.stderr } },
        );
      case "overflow":
        throw providerError(
          "PROVIDER_PROTOCOL",
          label,
          `command ${invocation.display} printed more than max_output_bytes (${maxOutputBytes}) on stdout; it was killed`,
          { details: { maxOutputBytes } },
        );
      case "spawn-error":
        throw this.spawnError(invocation, label, result.error);
    }
  }

  private spawnError(invocation: Invocation, label: OpLabel, error: NodeJS.ErrnoException): StoreError {
    const cwd = this.options.cwd;
    let reason: string;
    if (error.code === "ENOENT" && !fs.existsSync(cwd))
      reason = `the working directory ${cwd} does not exist`;
    else if (error.code === "ENOENT")
      reason = `executable ${quoteStart(invocation.file, 300)} not found (working directory ${cwd})`;
    else if (error.code === "EACCES")
      reason = `executable ${quoteStart(invocation.file, 300)} is not executable (permission denied)`;
    else if (error.code === "E2BIG") reason = "the environment and arguments are too large for exec (E2BIG)";
    else reason = `cannot run ${invocation.display}: ${error.message}`;
    return providerError("PROVIDER_FAILED", label, reason, { cause: error, details: { errno: error.code } });
  }

  private closedError(label: OpLabel): StoreError {
    return new StoreError("CLOSED", `${BACKEND_NAME}: provider "${label.provider}" is closed`);
  }
}
