import readline from "node:readline";
import { type ImportEntry, type JsonValue, StoreError, type StoreHandle } from "@store/core";
import { entryJson } from "./format";
import { ChunkedWriter, type OutputStream } from "./io";
import type { Progress } from "./progress";

/** The fields of one NDJSON line, as `store export` writes them and `store import` reads them. */
const FIELDS = new Set(["key", "value", "updated_at", "created_at", "task_id"]);

/**
 * Writes every visible entry of a store as NDJSON, newest first. Entries come a page at a time (keyset
 * paging where the backend has it) and each chunk waits for stdout to drain, so memory stays bounded
 * whatever the store's size. Resolves how many entries were written.
 */
export async function exportEntries(
  store: StoreHandle,
  out: OutputStream,
  progress: Progress,
): Promise<number> {
  const writer = new ChunkedWriter(out);
  let count = 0;
  for await (const entry of store.entries({ batchSize: 1000 })) {
    await writer.write(`${JSON.stringify(entryJson(entry))}\n`);
    count++;
    if (count % 1000 === 0) progress.update(count);
  }
  await writer.flush();
  progress.update(count);
  return count;
}

/** Where a line came from, so an error names its line rather than its entry number. */
export interface LineTracker {
  /** Line number of each entry yielded so far, by entry index (1-based), for the current batch. */
  lineOf(entryIndex: number): number | undefined;
  bytesRead: number;
}

/**
 * Reads NDJSON entries from a stream, one at a time: readline pauses the input while its queue is
 * full, so a file of a million lines is never held in memory. Blank lines are skipped. A line that is
 * not a JSON object of the export's fields stops the import with INVALID_VALUE / INVALID_ARGUMENT
 * naming the line.
 */
export function readEntries(input: NodeJS.ReadableStream): {
  entries: AsyncGenerator<ImportEntry>;
  tracker: LineTracker;
  /** Stops reading: after a failure, the writer of a pipe gets EPIPE instead of this process waiting. */
  close(): void;
} {
  const lines = new Map<number, number>();
  const tracker: LineTracker = {
    lineOf: (i) => lines.get(i),
    bytesRead: 0,
  };
  // Both listeners attach in this tick: readline starts the stream flowing, and lines emitted before
  // the iterator exists would be lost.
  input.on("data", (chunk: Buffer | string) => {
    tracker.bytesRead += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.length;
  });
  const rl = readline.createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  const iterator = rl[Symbol.asyncIterator]();
  async function* generate(): AsyncGenerator<ImportEntry> {
    let lineNumber = 0;
    let index = 0;
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        const line = next.value as string;
        lineNumber++;
        if (line.trim() === "") continue;
        index++;
        // Only the current batch's line numbers are needed: keep the map small.
        if (index > 2000) lines.delete(index - 2000);
        lines.set(index, lineNumber);
        yield parseLine(line, lineNumber);
      }
    } finally {
      rl.close();
    }
  }
  return {
    entries: generate(),
    tracker,
    close: () => {
      rl.close();
      (input as { destroy?: () => void }).destroy?.();
    },
  };
}

export function parseLine(line: string, lineNumber: number): ImportEntry {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    throw new StoreError(
      "INVALID_VALUE",
      `line ${lineNumber}: not JSON (${(error as Error).message}): ${excerpt(line)}`,
      {
        cause: error,
        details: { line: lineNumber },
      },
    );
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new StoreError(
      "INVALID_ARGUMENT",
      `line ${lineNumber}: expected an object {key, value, updated_at, created_at, task_id}`,
      {
        details: { line: lineNumber },
      },
    );
  }
  const o = parsed as Record<string, unknown>;
  for (const field of Object.keys(o)) {
    if (!FIELDS.has(field)) {
      throw new StoreError(
        "INVALID_ARGUMENT",
        `line ${lineNumber}: unknown field "${field}" (an entry has key, value, updated_at, created_at, task_id)`,
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
    ...(o.updated_at === undefined ? {} : { updatedAt: o.updated_at as string }),
    ...(o.created_at === undefined ? {} : { createdAt: o.created_at as string }),
    ...(o.task_id === undefined ? {} : { taskId: o.task_id as string }),
  };
}

/**
 * Core names a failing entry by its index ("import entry 7: …"); the user knows lines. Rewrites the
 * message to name the line of the input instead.
 */
export function withLineNumber(error: unknown, tracker: LineTracker): unknown {
  if (!StoreError.isInstance(error)) return error;
  const index = error.details.index;
  if (typeof index !== "number") return error;
  const line = tracker.lineOf(index);
  if (line !== undefined) {
    error.message = error.message.replace(/import entry \d+: /, `line ${line}: `);
    error.details.line = line;
  }
  return error;
}

function excerpt(line: string): string {
  const shown = line.length > 60 ? `${line.slice(0, 60)}…` : line;
  return JSON.stringify(shown);
}
