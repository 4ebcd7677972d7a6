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
import { type OpLabel, opLabel, providerError } from "../errors";
import { OpGate } from "../gate";
import type { Invocation, V1Options } from "../options";
import { type Trace, tracer } from "../trace";
import { type Exec, outcome, traceRequest, traceResult } from "./outcome";
import {
  parseConflictOutput,
  parseDeleteOutput,
  parseGetOutput,
  parseListOutput,
  parsePruneOutput,
  parsePutOutput,
} from "./output";
import { runCommand } from "./run";
import { valuePassing } from "./value";

const DAY_MS = 86_400_000;

type Variables = Record<string, string>;

/**
 * Protocol v1: every op runs its command with the protocol variables (README, "Protocol v1"), at
 * most `concurrency` at once.
 */
export class CommandsBackend implements BackendInstance {
  readonly capabilities: Partial<BackendCapabilities>;
  private readonly gate: OpGate;
  private readonly host: Variables;
  private readonly trace: Trace;

  constructor(
    private readonly options: V1Options,
    private readonly context: BackendContext,
  ) {
    this.gate = new OpGate(options.concurrency);
    this.host = baseEnvironment(options.envNames);
    this.trace = tracer(context.providerName);
    this.capabilities = {
      retentionOnPut: false,
      cursor: false,
      prune: options.commands.prune !== undefined,
      conditionalWrites: options.conditionalWrites,
    };
  }

  async get(ref: StoreRef, key: string, query: GetQuery): Promise<StoreEntry | undefined> {
    const label = this.label("get", ref, key);
    const vars = this.variables("get", ref);
    vars.KEY = key;
    if (query.notBefore) vars.NOT_BEFORE = query.notBefore;
    const { stdout } = await this.exec(this.options.commands.get, label, vars);
    return parseGetOutput(stdout, key, label);
  }

  async put(ref: StoreRef, record: PutRecord, options: PutOptions): Promise<number | Conflict> {
    const label = this.label("put", ref, record.key);
    const vars = this.variables("put", ref);
    vars.KEY = record.key;
    vars.TASK_ID = record.taskId;
    vars.UPDATED_AT = record.updatedAt;
    if (record.createdAt) vars.CREATED_AT = record.createdAt;
    if (record.version !== undefined) vars.IMPORTED_VERSION = String(record.version);
    if (options.notBefore) vars.NOT_BEFORE = options.notBefore;
    if (options.ifVersion !== undefined) vars.IF_VERSION = String(options.ifVersion);
    if (options.ifAbsent) vars.IF_ABSENT = "1";
    const stdinOnly = valuePassing(Buffer.byteLength(record.json, "utf8"), this.options.putReadsStdin, label);
    if (stdinOnly) vars.VALUE_BYTES = String(stdinOnly.bytes);
    else vars.VALUE = record.json;
    const conditional = options.ifVersion !== undefined || options.ifAbsent === true;
    const { stdout, conflict } = await this.exec(this.options.commands.put, label, vars, {
      input: record.json,
      ...(stdinOnly ? { stdinOnly } : {}),
      conditional,
    });
    if (conflict) return parseConflictOutput(stdout, label);
    return parsePutOutput(stdout, record.updatedAt, this.options.conditionalWrites, label);
  }

  async putMany(ref: StoreRef, records: PutRecord[]): Promise<void> {
    await putEach(records, (record) => this.put(ref, record, {}));
  }

  async delete(ref: StoreRef, key: string, options: DeleteOptions): Promise<boolean | Conflict> {
    const label = this.label("delete", ref, key);
    const vars = this.variables("delete", ref);
    vars.KEY = key;
    if (options.notBefore) vars.NOT_BEFORE = options.notBefore;
    if (options.ifVersion !== undefined) vars.IF_VERSION = String(options.ifVersion);
    const { stdout, conflict } = await this.exec(this.options.commands.delete, label, vars, {
      conditional: options.ifVersion !== undefined,
    });
    return conflict ? parseConflictOutput(stdout, label) : parseDeleteOutput(stdout, label);
  }

  async list(ref: StoreRef, query: ListQuery): Promise<StoreEntry[]> {
    const label = this.label("list", ref);
    const vars = this.variables("list", ref);
    vars.LIMIT = String(query.limit);
    vars.OFFSET = String(query.offset);
    if (query.notBefore) vars.NOT_BEFORE = query.notBefore;
    const { stdout } = await this.exec(this.options.commands.list, label, vars);
    return parseListOutput(stdout, query.limit, label);
  }

  async prune(ref: StoreRef, query: PruneQuery): Promise<number> {
    const label = this.label("prune", ref);
    const command = this.options.commands.prune;
    if (!command) {
      // Core does not call it (the instance narrows `prune`); a direct caller learns why.
      throw providerError("UNSUPPORTED", label, "the provider has no prune command: add commands.prune");
    }
    const vars = this.variables("prune", ref);
    if (query.maxEntries !== undefined) vars.MAX_ENTRIES = String(query.maxEntries);
    if (query.olderThan !== undefined) {
      vars.OLDER_THAN = query.olderThan;
      // Seed providers take whole days; core's cutoff is exactly now - ttl_days, on core's clock.
      vars.TTL_DAYS = String(
        Math.max(1, Math.round((this.context.now() - Date.parse(query.olderThan)) / DAY_MS)),
      );
    }
    return parsePruneOutput((await this.exec(command, label, vars)).stdout, label);
  }

  close(): Promise<void> {
    return this.gate.close();
  }

  private label(op: string, ref: StoreRef, key?: string): OpLabel {
    return opLabel(this.context.providerName, op, ref, key);
  }

  private variables(op: string, ref: StoreRef): Variables {
    return { STORE_OP: op, STORE_NAME: ref.store, PROJECT_ID: ref.project };
  }

  /** Runs one command through the gate; resolves its stdout when it exits 0 (or 75 on a condition). */
  private exec(
    invocation: Invocation,
    label: OpLabel,
    vars: Variables,
    extra: Exec = {},
  ): Promise<{ stdout: Buffer; conflict: boolean }> {
    return this.gate.run(label, () => this.run(invocation, label, vars, extra));
  }

  private async run(
    invocation: Invocation,
    label: OpLabel,
    vars: Variables,
    exec: Exec,
  ): Promise<{ stdout: Buffer; conflict: boolean }> {
    const { cwd, timeoutMs, maxOutputBytes } = this.options;
    const started = this.trace ? performance.now() : 0;
    this.trace?.(`v1 ${label.op} → ${traceRequest(vars, exec.input)}`);
    const result = await runCommand({
      invocation,
      cwd,
      env: { ...this.host, ...vars },
      ...(exec.input === undefined ? {} : { input: exec.input }),
      timeoutMs,
      maxStdout: maxOutputBytes,
    });
    this.trace?.(`v1 ${label.op} ← ${traceResult(result)} (${Math.round(performance.now() - started)} ms)`);
    return outcome(result, { invocation, label, cwd, timeoutMs, maxOutputBytes, ...exec });
  }
}
