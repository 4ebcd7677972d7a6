import fs from "node:fs";
import path from "node:path";
import {
  decodeUtf8,
  type JsonValue,
  LIMITS,
  parseJsonValue,
  printable,
  type StoreEntry,
  StoreError,
  type StoreHandle,
} from "@store/core";
import { checkArgument, keyFromJson } from "../arguments";
import type { Context } from "../context";
import { CliError, EXIT } from "../errors";
import { entryJson, plural, quoted, table } from "../format";
import { ChunkedWriter, writeAll } from "../io";
import { batches, exportEntries, type LineEntry, readEntries, withLineNumber } from "../ndjson";
import { PageSizer } from "../page-sizer";
import { Progress } from "../progress";

/** How a command names its key: the argument as typed, or as a JSON string with --key-json. */
export interface KeyOptions {
  keyJson?: boolean;
}

const KEY_HINT = `give the key as a JSON string with --key-json, e.g. --key-json '"a\\ufffdb"'`;

/** The store named on the command line, after the command-line checks of its name and project. */
async function openStore(ctx: Context, name: string): Promise<StoreHandle> {
  const hint = "store names and project ids are [A-Za-z0-9._-]";
  checkArgument(name, "store name", "INVALID_ARGUMENT", hint);
  checkArgument(ctx.project, "project id", "INVALID_ARGUMENT", hint);
  return ctx.store(name);
}

function keyOf(text: string, options: KeyOptions): string {
  return options.keyJson ? keyFromJson(text) : checkArgument(text, "key", "INVALID_KEY", KEY_HINT);
}

/**
 * `store get STORE KEY`: the value as one line of JSON; exit 1 and nothing on stdout when absent.
 * `--json` prints `{value, version, updated_at, task_id}`, `--entry` the whole entry.
 */
export async function storeGet(
  ctx: Context,
  name: string,
  keyText: string,
  options: { entry?: boolean } & KeyOptions,
): Promise<number> {
  const key = keyOf(keyText, options);
  const entry = await (await openStore(ctx, name)).getEntry(key);
  if (entry === undefined) {
    if (ctx.verbose)
      ctx.io.stderr.write(`wfstore: key ${quoted(key)} is absent from ${storeLabel(ctx, name)}\n`);
    return EXIT.ABSENT;
  }
  const out = options.entry
    ? entryJson(entry)
    : ctx.json
      ? { value: entry.value, version: entry.version, updated_at: entry.updatedAt, task_id: entry.taskId }
      : entry.value;
  await writeAll(ctx.io.stdout, `${JSON.stringify(out)}\n`);
  return EXIT.OK;
}

export interface PutOptions extends KeyOptions {
  task?: string;
  ifVersion?: string;
  ifAbsent?: boolean;
}

/** `store put STORE KEY [JSON]`: the value from the argument, or stdin when absent or "-". */
export async function storePut(
  ctx: Context,
  name: string,
  keyText: string,
  json: string | undefined,
  options: PutOptions,
): Promise<void> {
  const key = keyOf(keyText, options);
  const ifVersion = integerOption("--if-version", options.ifVersion);
  const taskId =
    options.task === undefined
      ? undefined
      : checkArgument(
          options.task,
          "task id",
          "INVALID_ARGUMENT",
          "task ids can only be given on the command line",
        );
  let text: string;
  if (json === undefined || json === "-") {
    if (json === undefined && ctx.io.stdin.isTTY) {
      throw new CliError(
        "USAGE",
        "no JSON value: give it as an argument, or pipe it on stdin (`-` reads it from the terminal)",
      );
    }
    text = decodeUtf8(await readInput(ctx.io.stdin, LIMITS.valueMaxBytes * 4), "value on stdin");
  } else {
    text = checkArgument(json, "value", "INVALID_VALUE", 'write it as the JSON escape "\\ufffd"');
  }
  if (text.trim() === "") throw new StoreError("INVALID_VALUE", "invalid value: empty input, expected JSON");
  const value: JsonValue = parseJsonValue(text);
  const store = await openStore(ctx, name);
  const result = await store.put(key, value, {
    ...(taskId === undefined ? {} : { taskId }),
    ...(ifVersion === undefined ? {} : { ifVersion }),
    ...(options.ifAbsent ? { ifAbsent: true } : {}),
  });
  if (ctx.json) {
    ctx.io.stdout.write(
      `${JSON.stringify({ key: result.key, version: result.version, updated_at: result.updatedAt, task_id: result.taskId })}\n`,
    );
    return;
  }
  ctx.io.stdout.write(
    `stored ${quoted(result.key)} in ${storeLabel(ctx, name)} as version ${result.version} at ${result.updatedAt}${result.taskId ? ` (task ${printable(result.taskId)})` : ""}\n`,
  );
}

/** `store delete STORE KEY [--if-version N]`: idempotent; says whether the key existed. */
export async function storeDelete(
  ctx: Context,
  name: string,
  keyText: string,
  options: { ifVersion?: string } & KeyOptions,
): Promise<void> {
  const key = keyOf(keyText, options);
  const ifVersion = integerOption("--if-version", options.ifVersion);
  const store = await openStore(ctx, name);
  const existed = await store.delete(key, ifVersion === undefined ? {} : { ifVersion });
  if (ctx.json) {
    ctx.io.stdout.write(`${JSON.stringify({ existed })}\n`);
    return;
  }
  ctx.io.stdout.write(
    existed
      ? `deleted ${quoted(key)} from ${storeLabel(ctx, name)}\n`
      : `${quoted(key)} was not in ${storeLabel(ctx, name)}; nothing deleted\n`,
  );
}

/**
 * `store list STORE [--limit N] [--offset N]`: a table, or with --json a JSON array written entry by
 * entry. Read in pages sized by bytes (keyset pages from the start, offset pages past an offset), so
 * a list of large values is never held, or stringified, whole.
 */
export async function storeList(
  ctx: Context,
  name: string,
  options: { limit?: string; offset?: string },
): Promise<void> {
  const limit = integerOption("--limit", options.limit);
  const offset = integerOption("--offset", options.offset);
  if (limit !== undefined) checkRange("limit", limit, 1, LIMITS.listMaxLimit);
  if (offset !== undefined) checkRange("offset", offset, 0, Number.MAX_SAFE_INTEGER);
  const store = await openStore(ctx, name);
  const from = { limit: limit ?? LIMITS.listDefaultLimit, offset: offset ?? 0 };
  if (ctx.json) {
    const writer = new ChunkedWriter(ctx.io.stdout);
    let first = true;
    await writer.write("[");
    await eachEntry(store, from, async (e) => {
      const json = JSON.stringify(entryJson(e));
      await writer.write(first ? json : `,${json}`);
      first = false;
      return json.length;
    });
    await writer.write("]\n");
    await writer.flush();
    return;
  }
  const rows: { key: string; version: string; updatedAt: string; taskId: string; value: string }[] = [];
  await eachEntry(store, from, async (e) => {
    // Only what a terminal line can show is kept of each value.
    const value = JSON.stringify(e.value);
    rows.push({
      key: e.key,
      version: String(e.version),
      updatedAt: e.updatedAt,
      taskId: e.taskId || "-",
      value: value.length > 1000 ? detached(`${value.slice(0, 1000)}…`) : value,
    });
    return value.length + e.key.length;
  });
  if (rows.length === 0) {
    ctx.io.stdout.write(`no entries in ${storeLabel(ctx, name)}${offset ? ` at offset ${offset}` : ""}\n`);
    return;
  }
  const tty = ctx.io.stdout.isTTY === true;
  ctx.io.stdout.write(
    table(
      rows,
      [
        { header: "KEY", value: (r) => r.key, max: 40 },
        { header: "VERSION", value: (r) => r.version },
        { header: "UPDATED_AT", value: (r) => r.updatedAt },
        { header: "TASK_ID", value: (r) => r.taskId, max: 24 },
        { header: "VALUE", value: (r) => r.value },
      ],
      tty ? ctx.io.stdout.columns || 100 : 160,
    ),
  );
}

/**
 * Calls `each` for `limit` entries from `offset`, read a page at a time, each page sized by the bytes
 * of the entries before it (`each` returns an entry's size). An entry is let go once handled.
 */
async function eachEntry(
  store: StoreHandle,
  range: { limit: number; offset: number },
  each: (entry: StoreEntry) => Promise<number>,
): Promise<void> {
  const sizer = new PageSizer(Math.min(range.limit, 2));
  let read = 0;
  let cursor: string | undefined;
  while (read < range.limit) {
    const want = Math.min(sizer.limit, range.limit - read);
    let entries: StoreEntry[];
    let more: boolean;
    if (range.offset === 0) {
      // From the start: keyset pages, stable while others write.
      const page = await store.listPage({ limit: want, ...(cursor === undefined ? {} : { cursor }) });
      entries = page.entries;
      cursor = page.nextCursor;
      more = cursor !== undefined;
    } else {
      entries = await store.list({ limit: want, offset: range.offset + read });
      more = entries.length === want;
    }
    read += entries.length;
    let largest = 0;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as StoreEntry;
      entries[i] = undefined as never;
      largest = Math.max(largest, await each(entry));
    }
    sizer.observe(largest);
    if (!more) return;
  }
}

/** `store prune STORE [--max-entries N] [--ttl-days N]`: defaults to the store's retention. */
export async function storePrune(
  ctx: Context,
  name: string,
  options: { maxEntries?: string; ttlDays?: string },
): Promise<void> {
  const maxEntries = integerOption("--max-entries", options.maxEntries);
  const ttlDays = integerOption("--ttl-days", options.ttlDays);
  const store = await openStore(ctx, name);
  const removed = await store.prune({
    ...(maxEntries === undefined ? {} : { maxEntries }),
    ...(ttlDays === undefined ? {} : { ttlDays }),
  });
  if (ctx.json) {
    ctx.io.stdout.write(`${JSON.stringify({ removed })}\n`);
    return;
  }
  ctx.io.stdout.write(`removed ${plural(removed, "entry", "entries")} from ${storeLabel(ctx, name)}\n`);
}

/** `store export STORE`: NDJSON on stdout; the count goes to stderr only on a terminal. */
export async function storeExport(ctx: Context, name: string): Promise<void> {
  const store = await openStore(ctx, name);
  const progress = new Progress(ctx.io.stderr, `exporting ${name}`);
  const count = await exportEntries(store, ctx.io.stdout, progress);
  progress.finish();
  if (ctx.io.stderr.isTTY)
    ctx.io.stderr.write(`exported ${plural(count, "entry", "entries")} from ${storeLabel(ctx, name)}\n`);
}

/**
 * `store import STORE [FILE]`: NDJSON from stdin (or FILE), keeping timestamps, task ids and versions.
 * Written in batches of at most 1000 entries and about 8 MiB, so large values stream too.
 */
export async function storeImport(ctx: Context, name: string, file: string | undefined): Promise<void> {
  // Open the store before reading any input: a store that cannot be opened fails before stdin is read.
  const store = await openStore(ctx, name);
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
  let bytesRead = 0;
  let written = 0;
  try {
    const lines = readEntries(input as AsyncIterable<Buffer | string>, (n) => {
      bytesRead = n;
    });
    for await (const batch of batches(lines)) {
      try {
        written += await store.import(
          batch.map((b: LineEntry) => b.entry),
          { batchSize: batch.length },
        );
      } catch (error) {
        throw withLineNumber(error, batch);
      }
      progress.update(written, bytesRead);
    }
  } finally {
    progress.finish();
    // After a failure, the writer of a pipe gets EPIPE instead of this process waiting on it.
    (input as { destroy?: () => void }).destroy?.();
  }
  if (ctx.json) {
    ctx.io.stdout.write(`${JSON.stringify({ imported: written })}\n`);
    return;
  }
  ctx.io.stdout.write(`imported ${plural(written, "entry", "entries")} into ${storeLabel(ctx, name)}\n`);
}

// ── helpers ──────────────────────────────────────────────────────────────────────────────────────

/**
 * A copy of a short piece of a large string: V8 keeps a slice as a view of the whole, so a row holding
 * 1,000 characters of a 16 MiB value would hold all 16 MiB.
 */
function detached(piece: string): string {
  return JSON.parse(JSON.stringify(piece)) as string;
}

function storeLabel(ctx: Context, name: string): string {
  return `store "${name}"${ctx.project ? ` (project ${ctx.project})` : ""}`;
}

/** Integer options are parsed here; their ranges are checked by core with the same messages as the API. */
function integerOption(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text.trim())) {
    throw new StoreError("INVALID_ARGUMENT", `invalid ${flag} ${quoted(text)}: expected an integer`, {
      details: { option: flag },
    });
  }
  return Number(text.trim());
}

/** The range check core makes of list arguments, with its message (pages are smaller than `limit`). */
function checkRange(field: string, value: number, min: number, max: number): void {
  if (Number.isSafeInteger(value) && value >= min && value <= max) return;
  throw new StoreError(
    "INVALID_ARGUMENT",
    `invalid ${field} ${value}: expected an integer from ${min} to ${max}`,
    { details: { field, value } },
  );
}

/** Reads a whole stream as bytes, refusing more than `max` (a value is at most 16 MiB serialized). */
async function readInput(stream: NodeJS.ReadableStream, max: number): Promise<Buffer> {
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
  return Buffer.concat(chunks, size);
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
