import {
  type Conflict,
  conflict,
  type DeleteOptions,
  type GetQuery,
  type ListQuery,
  type PruneQuery,
  type PutOptions,
  type PutRecord,
  printable,
  type StoreEntry,
  type StoreError,
  type StoreRef,
} from "@store/core/backend";
import { isObject, parseEntry, protocolError, quoteJson, version } from "../entry";
import { type OpLabel, providerError } from "../errors";
import type { Message } from "./channel";

/**
 * The ops of protocol v2 as JSON request bodies (without `id`), and their replies read back. Values
 * are core's serialization, spliced in as they are: never parsed and serialized again.
 */

/** A put_many request holds at most this much entry JSON; bigger imports are split. */
export const PUT_MANY_BYTES = 8 * 1024 * 1024;

const text = JSON.stringify;

function where(op: string, ref: StoreRef): string {
  return `"op":"${op}","store":${text(ref.store)},"project":${text(ref.project)}`;
}

function entryJson(record: PutRecord): string {
  const created = record.createdAt ? `,"created_at":${text(record.createdAt)}` : "";
  const imported = record.version === undefined ? "" : `,"version":${record.version}`;
  return `{"key":${text(record.key)},"value":${record.json},"updated_at":${text(record.updatedAt)}${created},"task_id":${text(record.taskId)}${imported}}`;
}

function conditions(options: { notBefore?: string; ifVersion?: number; ifAbsent?: boolean }): string {
  let body = "";
  if (options.notBefore) body += `,"not_before":${text(options.notBefore)}`;
  if (options.ifVersion !== undefined) body += `,"if_version":${options.ifVersion}`;
  if (options.ifAbsent) body += `,"if_absent":true`;
  return body;
}

export function getRequest(ref: StoreRef, key: string, query: GetQuery): string {
  return `${where("get", ref)},"key":${text(key)}${conditions({ ...(query.notBefore ? { notBefore: query.notBefore } : {}) })}`;
}

export function putRequest(ref: StoreRef, record: PutRecord, options: PutOptions): string {
  return `${where("put", ref)},"entry":${entryJson(record)}${conditions(options)}`;
}

/** put_many requests for `records`, each at most PUT_MANY_BYTES of entries (one entry may exceed it). */
export function putManyRequests(ref: StoreRef, records: PutRecord[]): string[] {
  const requests: string[] = [];
  let batch: string[] = [];
  let bytes = 0;
  const flush = () => {
    if (batch.length > 0) requests.push(`${where("put_many", ref)},"entries":[${batch.join(",")}]`);
    batch = [];
    bytes = 0;
  };
  for (const record of records) {
    const json = entryJson(record);
    if (bytes + json.length > PUT_MANY_BYTES) flush();
    batch.push(json);
    bytes += json.length;
  }
  flush();
  return requests;
}

export function deleteRequest(ref: StoreRef, key: string, options: DeleteOptions): string {
  return `${where("delete", ref)},"key":${text(key)}${conditions(options)}`;
}

export function listRequest(ref: StoreRef, query: ListQuery): string {
  let body = `${where("list", ref)},"limit":${query.limit},"offset":${query.offset}`;
  if (query.after)
    body += `,"after":{"updated_at":${text(query.after.updatedAt)},"key":${text(query.after.key)}}`;
  return body + conditions({ ...(query.notBefore ? { notBefore: query.notBefore } : {}) });
}

export function pruneRequest(ref: StoreRef, query: PruneQuery): string {
  let body = where("prune", ref);
  if (query.maxEntries !== undefined) body += `,"max_entries":${query.maxEntries}`;
  if (query.olderThan !== undefined) body += `,"older_than":${text(query.olderThan)}`;
  return body;
}

// ── replies ─────────────────────────────────────────────────────────────────────────────────────────

export function badReply(label: OpLabel, reply: Message, reason: string): StoreError {
  return protocolError(label, `${reason}; the provider answered ${quoteJson(reply)}`);
}

/** `{"error": {"code": "CONFLICT", "current_version": N | null}}`: a condition failed, nothing was written. */
export function conflictOf(reply: Message, label: OpLabel): Conflict | undefined {
  const error = reply.error;
  if (!isObject(error) || error.code !== "CONFLICT") return undefined;
  const current = error.current_version;
  if (current === null || current === undefined) return conflict(undefined);
  return conflict(version(current, "", label, "the conflict's current_version"));
}

/** An error reply: `"error": "message"` or `{"message", "code"?}`. Its text is the provider's, shown escaped. */
export function replyError(label: OpLabel, reply: Message): StoreError {
  const error = reply.error;
  if (error === undefined) return badReply(label, reply, `a reply needs "ok": true or "error"`);
  const message = printable(
    typeof error === "string"
      ? error
      : isObject(error) && typeof error.message === "string"
        ? error.message
        : (JSON.stringify(error) ?? ""),
  );
  if (isObject(error) && error.code === "UNSUPPORTED") {
    return providerError("UNSUPPORTED", label, `the provider does not support this: ${message}`);
  }
  return providerError("PROVIDER_FAILED", label, `the provider answered with an error: ${message}`, {
    details: { providerError: error },
  });
}

export function decodeGet(reply: Message, key: string, label: OpLabel): StoreEntry | undefined {
  if (!("entry" in reply))
    throw badReply(label, reply, `a get reply needs "entry" (an entry, or null when absent)`);
  if (reply.entry === null) return undefined;
  const entry = parseEntry(reply.entry, label, "the entry");
  if (entry.key !== key) throw badReply(label, reply, "the reply is for another key");
  return entry;
}

/** The version a put wrote; required from a provider with conditional writes (see `version` otherwise). */
export function decodePut(reply: Message, record: PutRecord, required: boolean, label: OpLabel): number {
  if (reply.version === undefined && required) {
    throw badReply(label, reply, `a provider with conditional_writes must answer a put with "version": N`);
  }
  return version(reply.version, record.updatedAt, label, "the put reply");
}

export function decodeDelete(reply: Message, label: OpLabel): boolean {
  if (typeof reply.existed !== "boolean")
    throw badReply(label, reply, `a delete reply needs "existed": true|false`);
  return reply.existed;
}

export function decodeList(reply: Message, limit: number, label: OpLabel): StoreEntry[] {
  if (!Array.isArray(reply.entries)) throw badReply(label, reply, `a list reply needs "entries": [...]`);
  const count = Math.min(reply.entries.length, limit);
  const entries: StoreEntry[] = new Array(count);
  for (let i = 0; i < count; i++) entries[i] = parseEntry(reply.entries[i], label, `list entry ${i}`);
  return entries;
}

export function decodePrune(reply: Message, label: OpLabel): number {
  const removed = reply.removed;
  if (typeof removed !== "number" || !Number.isInteger(removed) || removed < 0) {
    throw badReply(label, reply, `a prune reply needs "removed": N`);
  }
  return removed;
}
