import {
  decodeUtf8,
  type ImportEntry,
  type JsonValue,
  LIMITS,
  StoreError,
  type StoreHandle,
} from "@store/core";
import { entryJson } from "./format";
import { ChunkedWriter, type OutputStream } from "./io";
import { PAGE_BYTES, PageSizer } from "./page-sizer";
import type { Progress } from "./progress";

/** The fields of one NDJSON line, as `store export` writes them and `store import` reads them. */
const FIELDS = new Set(["key", "value", "version", "updated_at", "created_at", "task_id"]);
const FIELD_LIST = "key, value, version, updated_at, created_at, task_id";

/** A line longer than this cannot hold an entry whose value fits the 16 MiB limit, however escaped. */
export const MAX_LINE_BYTES = LIMITS.valueMaxBytes * 4;

/**
 * Writes every visible entry of a store as NDJSON, newest first, in reads sized by bytes (PageSizer):
 * one read of entries and one chunk of output are all the memory it holds, whatever the size of the
 * store or its values. The reader is a consistent snapshot on backends that take one. Each chunk
 * waits for stdout to drain. Resolves the count written.
 */
export async function exportEntries(
  store: StoreHandle,
  out: OutputStream,
  progress: Progress,
): Promise<number> {
  const writer = new ChunkedWriter(out);
  const sizer = new PageSizer(1);
  let count = 0;
  const reader = await store.openReader();
  try {
    for (;;) {
      const entries = await reader.read(sizer.limit);
      if (entries.length === 0) break;
      let largest = 0;
      for (let i = 0; i < entries.length; i++) {
        const line = `${JSON.stringify(entryJson(entries[i] as (typeof entries)[number]))}\n`;
        entries[i] = undefined as never; // let a written 16 MiB value go before the next one is serialized
        largest = Math.max(largest, line.length);
        await writer.write(line);
        count++;
        if (count % 1000 === 0) progress.update(count);
      }
      sizer.observe(largest);
    }
  } finally {
    await reader.close();
  }
  await writer.flush();
  progress.update(count);
  return count;
}

/** An entry read from NDJSON, with the line it came from. */
export interface LineEntry {
  entry: ImportEntry;
  line: number;
  /** The length of the line in bytes. */
  bytes: number;
}

/**
 * Reads NDJSON entries from a stream. Lines are split on bytes and each is decoded as strict UTF-8
 * (a line with invalid bytes is refused, naming them, never stored altered), parsed and checked
 * against the export's fields. Blank lines are skipped; CRLF line ends are fine. A line past
 * MAX_LINE_BYTES is refused before it is held whole, so an endless input cannot exhaust memory.
 */
export async function* readEntries(
  input: AsyncIterable<Buffer | string>,
  onBytes: (bytesRead: number) => void = () => {},
): AsyncGenerator<LineEntry> {
  let lineNumber = 0;
  for await (const bytes of byteLines(input, onBytes)) {
    lineNumber++;
    const text = decodeUtf8(bytes, `line ${lineNumber}`, "INVALID_VALUE");
    if (text.trim() === "") continue;
    yield { entry: parseLine(text, lineNumber), line: lineNumber, bytes: bytes.length };
  }
}

/** Lines as bytes, without their `\n` (or `\r\n`). */
async function* byteLines(
  input: AsyncIterable<Buffer | string>,
  onBytes: (bytesRead: number) => void,
): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let partBytes = 0;
  let bytesRead = 0;
  let line = 1;
  for await (const chunk of input) {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    bytesRead += buf.length;
    onBytes(bytesRead);
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, start);
      if (nl === -1) break;
      const piece = buf.subarray(start, nl);
      const whole = parts.length === 0 ? piece : Buffer.concat([...parts, piece], partBytes + piece.length);
      parts = [];
      partBytes = 0;
      if (whole.length > MAX_LINE_BYTES) throw lineTooLong(line);
      yield whole[whole.length - 1] === 0x0d ? whole.subarray(0, whole.length - 1) : whole;
      line++;
      start = nl + 1;
    }
    if (start < buf.length) {
      parts.push(buf.subarray(start));
      partBytes += buf.length - start;
      if (partBytes > MAX_LINE_BYTES) throw lineTooLong(line);
    }
  }
  if (partBytes > 0) {
    const last = Buffer.concat(parts, partBytes);
    yield last[last.length - 1] === 0x0d ? last.subarray(0, last.length - 1) : last;
  }
}

function lineTooLong(line: number): StoreError {
  return new StoreError(
    "VALUE_TOO_LARGE",
    `line ${line}: longer than ${MAX_LINE_BYTES} bytes, more than any entry can take (values are limited to ${LIMITS.valueMaxBytes} bytes serialized)`,
    { details: { line, limit: MAX_LINE_BYTES } },
  );
}

/**
 * Groups entries into batches of at most 1000 entries and about PAGE_BYTES of JSON, so an import of
 * large values never holds more than one such batch.
 */
export async function* batches(entries: AsyncIterable<LineEntry>): AsyncGenerator<LineEntry[]> {
  let batch: LineEntry[] = [];
  let bytes = 0;
  for await (const e of entries) {
    batch.push(e);
    bytes += e.bytes;
    if (batch.length >= LIMITS.listMaxLimit || bytes >= PAGE_BYTES) {
      yield batch;
      batch = [];
      bytes = 0;
    }
  }
  if (batch.length > 0) yield batch;
}

export function parseLine(line: string, lineNumber: number): ImportEntry {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    throw new StoreError(
      "INVALID_VALUE",
      `line ${lineNumber}: not JSON (${(error as Error).message}): ${excerpt(line)}`,
      { cause: error, details: { line: lineNumber } },
    );
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new StoreError("INVALID_ARGUMENT", `line ${lineNumber}: expected an object {${FIELD_LIST}}`, {
      details: { line: lineNumber },
    });
  }
  const o = parsed as Record<string, unknown>;
  for (const field of Object.keys(o)) {
    if (!FIELDS.has(field)) {
      throw new StoreError(
        "INVALID_ARGUMENT",
        `line ${lineNumber}: unknown field ${excerpt(field)} (an entry has ${FIELD_LIST})`,
        { details: { line: lineNumber, field } },
      );
    }
  }
  if (!("key" in o) || !("value" in o)) {
    throw new StoreError(
      "INVALID_ARGUMENT",
      `line ${lineNumber}: missing "${"key" in o ? "value" : "key"}"`,
      {
        details: { line: lineNumber },
      },
    );
  }
  return {
    key: o.key as string,
    value: o.value as JsonValue,
    ...(o.version === undefined ? {} : { version: o.version as number }),
    ...(o.updated_at === undefined ? {} : { updatedAt: o.updated_at as string }),
    ...(o.created_at === undefined ? {} : { createdAt: o.created_at as string }),
    ...(o.task_id === undefined ? {} : { taskId: o.task_id as string }),
  };
}

/**
 * Core names a failing entry by its index in the batch ("import entry 7: …"); the user knows lines.
 * Rewrites the message to name the line of the input instead.
 */
export function withLineNumber(error: unknown, batch: readonly LineEntry[]): unknown {
  if (!StoreError.isInstance(error)) return error;
  const index = error.details.index;
  if (typeof index !== "number") return error;
  const line = batch[index - 1]?.line;
  if (line !== undefined) {
    error.message = error.message.replace(/import entry \d+: /, `line ${line}: `);
    error.details.line = line;
    delete error.details.index;
  }
  return error;
}

function excerpt(line: string): string {
  const shown = line.length > 60 ? `${line.slice(0, 60)}…` : line;
  return JSON.stringify(shown);
}
