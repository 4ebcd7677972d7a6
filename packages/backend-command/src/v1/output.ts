import { type Conflict, conflict, quoteStart, type StoreEntry } from "@store/core/backend";
import { decodeOutput, isObject, type Json, parseEntry, protocolError, version } from "../entry";
import type { OpLabel } from "../errors";

/** What v1 commands print on stdout, read and checked. Garbage is PROVIDER_PROTOCOL quoting its start. */

function parseJson(text: string, label: OpLabel, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw protocolError(label, `${what} is not valid JSON; it starts with ${quoteStart(text)}`, error);
  }
}

const NON_SPACE = /\S/;

/**
 * get: the JSON value, or nothing when absent (seed protocol). Extension: a first line holding the
 * entry's metadata `{"updated_at", "created_at"?, "task_id"?, "version"?}`, then the value. A seed
 * provider prints exactly one JSON value, so a complete JSON line followed by more output can only be
 * the extension: the two forms never overlap.
 */
export function parseGetOutput(stdout: Buffer, key: string, label: OpLabel): StoreEntry | undefined {
  const text = decodeOutput(stdout, label);
  if (!NON_SPACE.test(text)) return undefined;
  const newline = text.indexOf("\n");
  if (newline > 0 && newline < text.length - 1 && NON_SPACE.test(text.slice(newline + 1))) {
    let meta: unknown;
    try {
      meta = JSON.parse(text.slice(0, newline));
    } catch {
      meta = undefined;
    }
    if (isObject(meta)) {
      if (meta.key !== undefined && meta.key !== key) {
        throw protocolError(
          label,
          `the metadata line names key ${quoteStart(String(meta.key))}, not the key asked for`,
        );
      }
      const value = parseJson(text.slice(newline + 1), label, "the value after the metadata line");
      return parseEntry({ ...meta, key, value }, label, "the metadata line");
    }
  }
  const value = parseJson(text, label, "the output of get") as Json;
  // Seed form: no timestamps, no version. Core skips its TTL check for an empty updatedAt; NOT_BEFORE
  // lets the provider apply TTL itself.
  return { key, value, createdAt: "", updatedAt: "", taskId: "", version: 0 };
}

/** list: a JSON array of entries; anything beyond `limit` is dropped. */
export function parseListOutput(stdout: Buffer, limit: number, label: OpLabel): StoreEntry[] {
  const text = decodeOutput(stdout, label);
  if (!NON_SPACE.test(text))
    throw protocolError(label, "list printed nothing; expected a JSON array (`[]` when empty)");
  const raw = parseJson(text, label, "the output of list");
  if (!Array.isArray(raw))
    throw protocolError(label, `list must print a JSON array; it printed ${quoteStart(text)}`);
  const count = Math.min(raw.length, limit);
  const entries: StoreEntry[] = new Array(count);
  for (let i = 0; i < count; i++) entries[i] = parseEntry(raw[i], label, `list entry ${i}`);
  return entries;
}

/**
 * put: nothing (seed), or `{"version": N}`. A provider with conditional writes must say the version
 * it wrote; for others a silent put gets its time as version (see `version`).
 */
export function parsePutOutput(stdout: Buffer, updatedAt: string, required: boolean, label: OpLabel): number {
  const text = decodeOutput(stdout, label);
  if (!NON_SPACE.test(text)) {
    if (required) {
      throw protocolError(
        label,
        'a provider with conditional_writes must print {"version": N} after a put; it printed nothing',
      );
    }
    return version(undefined, updatedAt, label, "put");
  }
  const raw = parseJson(text, label, "the output of put");
  if (isObject(raw) && raw.version !== undefined && raw.version !== null) {
    return version(raw.version, updatedAt, label, "the output of put");
  }
  throw protocolError(label, `put may print nothing or {"version": N}; it printed ${quoteStart(text)}`);
}

/** delete: nothing (existence unknown, reported as true) or `{"existed": bool}`. */
export function parseDeleteOutput(stdout: Buffer, label: OpLabel): boolean {
  const text = decodeOutput(stdout, label);
  if (!NON_SPACE.test(text)) return true;
  const raw = parseJson(text, label, "the output of delete");
  if (typeof raw === "boolean") return raw;
  if (isObject(raw) && typeof raw.existed === "boolean") return raw.existed;
  throw protocolError(
    label,
    `delete may print nothing or {"existed": true|false}; it printed ${quoteStart(text)}`,
  );
}

/** prune: nothing (0 reported) or `{"removed": N}`. */
export function parsePruneOutput(stdout: Buffer, label: OpLabel): number {
  const text = decodeOutput(stdout, label);
  if (!NON_SPACE.test(text)) return 0;
  const raw = parseJson(text, label, "the output of prune");
  const removed = isObject(raw) ? raw.removed : raw;
  if (typeof removed === "number" && Number.isInteger(removed) && removed >= 0) return removed;
  throw protocolError(label, `prune may print nothing or {"removed": N}; it printed ${quoteStart(text)}`);
}

/** A failed condition (exit 75): nothing, or `{"version": N | null}`, the live entry's version. */
export function parseConflictOutput(stdout: Buffer, label: OpLabel): Conflict {
  const text = decodeOutput(stdout, label);
  if (!NON_SPACE.test(text)) return conflict(undefined);
  const raw = parseJson(text, label, "the output of a conflict (exit 75)");
  if (isObject(raw) && (raw.version === null || raw.version === undefined)) return conflict(undefined);
  if (isObject(raw)) return conflict(version(raw.version, "", label, "the output of a conflict (exit 75)"));
  throw protocolError(
    label,
    `a conflict (exit 75) may print nothing or {"version": N | null}; it printed ${quoteStart(text)}`,
  );
}
