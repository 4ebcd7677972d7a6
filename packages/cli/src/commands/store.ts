import fs from "node:fs";
import path from "node:path";
import { type JsonValue, LIMITS, parseJsonValue, StoreError, type StoreHandle } from "@store/core";
import type { Context } from "../context";
import { CliError, EXIT } from "../errors";
import { entryJson, plural, table } from "../format";
import { exportEntries, readEntries, withLineNumber } from "../ndjson";
import { Progress } from "../progress";

async function withStore<T>(ctx: Context, name: string, fn: (store: StoreHandle) => Promise<T>): Promise<T> {
  const manager = await ctx.openManager();
  return fn(manager.store(name, { project: ctx.project }));
}

/** `store get STORE KEY`: the value as one line of JSON; exit 1 and nothing on stdout when absent. */
export async function storeGet(
  ctx: Context,
  name: string,
  key: string,
  options: { entry?: boolean },
): Promise<number> {
  const entry = await withStore(ctx, name, (s) => s.getEntry(key));
  if (entry === undefined) {
    if (ctx.verbose)
      ctx.io.stderr.write(`wfstore: key ${JSON.stringify(key)} is absent from store "${name}"\n`);
    return EXIT.ABSENT;
  }
  ctx.io.stdout.write(`${JSON.stringify(options.entry ? entryJson(entry) : entry.value)}\n`);
  return EXIT.OK;
}

/** `store put STORE KEY [JSON]`: the value from the argument, or stdin when absent or "-". */
export async function storePut(
  ctx: Context,
  name: string,
  key: string,
  json: string | undefined,
  options: { task?: string },
): Promise<void> {
  let text: string;
  if (json === undefined || json === "-") {
    if (json === undefined && ctx.io.stdin.isTTY) {
      throw new CliError(
        "USAGE",
        "no JSON value: give it as an argument, or pipe it on stdin (`-` reads it from the terminal)",
      );
    }
    text = await readInput(ctx.io.stdin, LIMITS.valueMaxBytes * 4);
  } else {
    text = json;
  }
  if (text.trim() === "") throw new StoreError("INVALID_VALUE", "invalid value: empty input, expected JSON");
  const value: JsonValue = parseJsonValue(text);
  const result = await withStore(ctx, name, (s) =>
    s.put(key, value, options.task === undefined ? {} : { taskId: options.task }),
  );
  if (ctx.json) {
    ctx.io.stdout.write(
      `${JSON.stringify({ key: result.key, updated_at: result.updatedAt, task_id: result.taskId })}\n`,
    );
    return;
  }
  ctx.io.stdout.write(
    `stored ${JSON.stringify(result.key)} in ${storeLabel(ctx, name)} at ${result.updatedAt}${result.taskId ? ` (task ${result.taskId})` : ""}\n`,
  );
}

/** `store delete STORE KEY`: idempotent; says whether the key existed. */
export async function storeDelete(ctx: Context, name: string, key: string): Promise<void> {
  const existed = await withStore(ctx, name, (s) => s.delete(key));
  if (ctx.json) {
    ctx.io.stdout.write(`${JSON.stringify({ existed })}\n`);
    return;
  }
  ctx.io.stdout.write(
    existed
      ? `deleted ${JSON.stringify(key)} from ${storeLabel(ctx, name)}\n`
      : `${JSON.stringify(key)} was not in ${storeLabel(ctx, name)}; nothing deleted\n`,
  );
}

/** `store list STORE [--limit N] [--offset N]`: a table, or a JSON array with --json. */
export async function storeList(
  ctx: Context,
  name: string,
  options: { limit?: string; offset?: string },
): Promise<void> {
  const limit = integerOption("--limit", options.limit);
  const offset = integerOption("--offset", options.offset);
  const entries = await withStore(ctx, name, (s) =>
    s.list({ ...(limit === undefined ? {} : { limit }), ...(offset === undefined ? {} : { offset }) }),
  );
  if (ctx.json) {
    ctx.io.stdout.write(`${JSON.stringify(entries.map(entryJson))}\n`);
    return;
  }
  if (entries.length === 0) {
    ctx.io.stdout.write(`no entries in ${storeLabel(ctx, name)}${offset ? ` at offset ${offset}` : ""}\n`);
    return;
  }
  const tty = ctx.io.stdout.isTTY === true;
  ctx.io.stdout.write(
    table(
      entries,
      [
        { header: "KEY", value: (e) => e.key, max: 40 },
        { header: "UPDATED_AT", value: (e) => e.updatedAt },
        { header: "TASK_ID", value: (e) => e.taskId || "-", max: 24 },
        { header: "VALUE", value: (e) => JSON.stringify(e.value) },
      ],
      tty ? ctx.io.stdout.columns || 100 : 160,
    ),
  );
}

/** `store prune STORE [--max-entries N] [--ttl-days N]`: defaults to the store's retention. */
export async function storePrune(
  ctx: Context,
  name: string,
  options: { maxEntries?: string; ttlDays?: string },
): Promise<void> {
  const maxEntries = integerOption("--max-entries", options.maxEntries);
  const ttlDays = integerOption("--ttl-days", options.ttlDays);
  const removed = await withStore(ctx, name, (s) =>
    s.prune({
      ...(maxEntries === undefined ? {} : { maxEntries }),
      ...(ttlDays === undefined ? {} : { ttlDays }),
    }),
  );
  if (ctx.json) {
    ctx.io.stdout.write(`${JSON.stringify({ removed })}\n`);
    return;
  }
  ctx.io.stdout.write(`removed ${plural(removed, "entry", "entries")} from ${storeLabel(ctx, name)}\n`);
}

/** `store export STORE`: NDJSON on stdout; the count goes to stderr only on a terminal. */
export async function storeExport(ctx: Context, name: string): Promise<void> {
  const progress = new Progress(ctx.io.stderr, `exporting ${name}`);
  const count = await withStore(ctx, name, (s) => exportEntries(s, ctx.io.stdout, progress));
  progress.finish();
  if (ctx.io.stderr.isTTY)
    ctx.io.stderr.write(`exported ${plural(count, "entry", "entries")} from ${storeLabel(ctx, name)}\n`);
}

/** `store import STORE [FILE]`: NDJSON from stdin (or FILE), keeping timestamps and task ids. */
export async function storeImport(ctx: Context, name: string, file: string | undefined): Promise<void> {
  // Open the store before reading any input: a store that cannot be opened fails before stdin is read.
  await ctx.openManager();
  let input: NodeJS.ReadableStream;
  let total: number | undefined;
  if (file !== undefined && file !== "-") {
    const full = path.resolve(ctx.io.cwd, file);
    try {
      total = Number(fs.statSync(full, { bigint: true }).size); // bigint: see stdinSize
    } catch (error) {
      throw new CliError(
        "USAGE",
        `cannot read ${file}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`,
      );
    }
    input = fs.createReadStream(full);
  } else {
    if (ctx.io.stdin.isTTY && file === undefined) {
      throw new CliError(
        "USAGE",
        "store import reads NDJSON from stdin: pipe or redirect a file (`< backup.ndjson`), or name the file",
      );
    }
    input = ctx.io.stdin;
    total = stdinSize(ctx.io.stdin);
  }
  const progress = new Progress(ctx.io.stderr, `importing ${name}`, total);
  const { entries, tracker, close } = readEntries(input);
  let written: number;
  try {
    written = await withStore(ctx, name, (s) =>
      s.import(entries, { batchSize: 1000, onProgress: (n) => progress.update(n, tracker.bytesRead) }),
    );
  } catch (error) {
    throw withLineNumber(error, tracker);
  } finally {
    progress.finish();
    close();
  }
  if (ctx.json) {
    ctx.io.stdout.write(`${JSON.stringify({ imported: written })}\n`);
    return;
  }
  ctx.io.stdout.write(`imported ${plural(written, "entry", "entries")} into ${storeLabel(ctx, name)}\n`);
}

// ── helpers ──────────────────────────────────────────────────────────────────────────────────────

function storeLabel(ctx: Context, name: string): string {
  return `store "${name}"${ctx.project ? ` (project ${ctx.project})` : ""}`;
}

/** Integer options are parsed here; their ranges are checked by core with the same messages as the API. */
function integerOption(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text.trim())) {
    throw new StoreError("INVALID_ARGUMENT", `invalid ${flag} ${JSON.stringify(text)}: expected an integer`, {
      details: { option: flag },
    });
  }
  return Number(text.trim());
}

/** Reads a whole stream as UTF-8, refusing more than `max` bytes (a value is at most 16 MiB serialized). */
async function readInput(stream: NodeJS.ReadableStream, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > max) {
      throw new StoreError("VALUE_TOO_LARGE", `value too large: more than ${max} bytes on stdin`, {
        details: { limit: max },
      });
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks, size).toString("utf8");
}

/** The size of stdin when it is a regular file (`< backup.ndjson`), for the ETA. */
function stdinSize(stdin: { fd?: number }): number | undefined {
  if (typeof stdin.fd !== "number") return undefined;
  try {
    // bigint: a plain fstat of a pipe overwrites the stat buffer Node's realpath cache reads, and
    // packages imported afterwards resolved through their pnpm symlinks and failed to load.
    const stat = fs.fstatSync(stdin.fd, { bigint: true });
    return stat.isFile() ? Number(stat.size) : undefined;
  } catch {
    return undefined;
  }
}
