import type { EntryMeta } from "./entry-index";

/**
 * The lines of the index log, `.meta/index.jsonl`: one JSON object per line.
 *
 *   {"wfstore_file_index":2,"store":"s","project":"","dir_mtime":…,"floor":…}          header (first line)
 *   {"key":"k","version":3,"updated_at":…,"created_at":…,"task_id":…,"bytes":…,"mtime":…,"ino":…}   put
 *   {"key":"k","deleted":true,"version":3}                                               delete
 *   {"dir_mtime":…}                                                                      the directory as last seen
 *
 * Any line may carry `dir_mtime`: the value directory's mtime right after the change the line
 * records, which is how a later reader tells that someone else added or removed files.
 *
 * Versions (format 2): a put line carries the version it wrote, a delete line the version it removed,
 * and a header the project's floor (the highest version ever removed). Format 1 logs, written by
 * 0.1.0, have none of them; replaying such a line gives what the write would have got (see
 * `IndexLog.apply`), so every process reading the same log agrees on every version.
 */
export const LOG_FORMAT_VERSION = 2;

export interface LogHeader {
  wfstore_file_index: number;
  store: string;
  project: string;
  dir_mtime?: number;
  floor?: number;
}

/** A put line's entry; `version` is undefined on format 1 lines. */
export type LoggedMeta = Omit<EntryMeta, "version"> & { version: number | undefined };

export type LogRecord =
  | { kind: "header"; header: LogHeader }
  | { kind: "put"; meta: LoggedMeta; dirMtime?: number }
  | { kind: "delete"; key: string; version?: number; dirMtime?: number }
  | { kind: "dir"; dirMtime: number };

export function headerLine(store: string, project: string, dirMtime: number, floor: number): string {
  return `${JSON.stringify({ wfstore_file_index: LOG_FORMAT_VERSION, store, project, dir_mtime: dirMtime, floor })}\n`;
}

export function putLine(m: EntryMeta, dirMtime?: number): string {
  return `${JSON.stringify({
    key: m.key,
    version: m.version,
    updated_at: m.updatedAt,
    created_at: m.createdAt,
    task_id: m.taskId,
    bytes: m.bytes,
    mtime: m.mtime,
    ino: m.ino,
    ...(dirMtime === undefined ? {} : { dir_mtime: dirMtime }),
  })}\n`;
}

export function deleteLine(key: string, version: number | undefined, dirMtime?: number): string {
  return `${JSON.stringify({
    key,
    deleted: true,
    ...(version === undefined ? {} : { version }),
    ...(dirMtime === undefined ? {} : { dir_mtime: dirMtime }),
  })}\n`;
}

export function dirLine(dirMtime: number): string {
  return `${JSON.stringify({ dir_mtime: dirMtime })}\n`;
}

const isVersion = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;

/** One parsed line, or `undefined` for a line that is not a record of this format (torn, edited). */
function parseLine(line: string): LogRecord | undefined {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return undefined;
  }
  return toRecord(o);
}

function toRecord(o: unknown): LogRecord | undefined {
  if (typeof o !== "object" || o === null) return undefined;
  const r = o as Record<string, unknown>;
  const dirMtime = typeof r.dir_mtime === "number" ? r.dir_mtime : undefined;
  if (r.version !== undefined && !isVersion(r.version)) return undefined;
  const version = r.version as number | undefined;
  if (typeof r.key === "string") {
    if (r.deleted === true) return { kind: "delete", key: r.key, version, dirMtime };
    if (
      typeof r.updated_at !== "string" ||
      typeof r.created_at !== "string" ||
      typeof r.task_id !== "string" ||
      typeof r.bytes !== "number" ||
      typeof r.mtime !== "number" ||
      typeof r.ino !== "number"
    ) {
      return undefined;
    }
    return {
      kind: "put",
      meta: {
        key: r.key,
        name: "",
        version,
        updatedAt: r.updated_at,
        createdAt: r.created_at,
        taskId: r.task_id,
        bytes: r.bytes,
        mtime: r.mtime,
        ino: r.ino,
      },
      dirMtime,
    };
  }
  if (
    typeof r.wfstore_file_index === "number" &&
    typeof r.store === "string" &&
    typeof r.project === "string" &&
    (r.floor === undefined || Number.isSafeInteger(r.floor))
  ) {
    return { kind: "header", header: r as unknown as LogHeader };
  }
  if (dirMtime !== undefined) return { kind: "dir", dirMtime };
  return undefined;
}

/** Parses a run of complete lines; `bad` counts the lines that are not records (torn, edited). */
export function parseLines(text: string): { records: LogRecord[]; bad: number } {
  const records: LogRecord[] = [];
  let bad = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    if (end > start) {
      const r = parseLine(text.slice(start, end));
      if (r) records.push(r);
      else bad++;
    }
    start = end + 1;
  }
  return { records, bad };
}
