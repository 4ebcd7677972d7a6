import {
  type BackendInstance,
  type Conflict,
  conflict,
  type DeleteOptions,
  type GetQuery,
  type ListQuery,
  type PruneQuery,
  type PutOptions,
  type PutRecord,
  type StoreEntry,
  type StoreRef,
} from "@store/core/backend";
import type { Redis } from "ioredis";
import { toEntry } from "./entry";
import { errors } from "./errors";
import { ConnectionLost, InFlight } from "./in-flight";
import { decodeKey, encodeKey } from "./key-encoding";
import { keyList, projectKeys } from "./layout";
import type { ResolvedRedisOptions } from "./options";
import { assertCanonical, listBounds, olderThanBound } from "./order";
import { queueScript, runScript, type ScriptArg, type ScriptName } from "./scripts";

/** Entries one prune script removes before it yields the server to other clients. */
export const PRUNE_BATCH = 1000;

/** What a put or delete script answers: `[1, result]`, or `[0, live version or 0]` for a conflict. */
type WriteReply = [number, number];

/**
 * One connection to Redis serving every store and project of a provider. Each op is one Lua script
 * (see lua.ts), so every check and the write it guards are one atomic step on the server.
 */
export class RedisBackend implements BackendInstance {
  private closed = false;
  private readonly inFlight: InFlight;

  constructor(
    private readonly redis: Redis,
    private readonly options: ResolvedRedisOptions,
  ) {
    this.inFlight = new InFlight(redis);
  }

  async get(ref: StoreRef, key: string, query: GetQuery): Promise<StoreEntry | undefined> {
    const keys = this.keys(ref, "get");
    let reply: unknown;
    try {
      reply = await this.script("get", keys, [encodeKey(key), query.notBefore ?? ""], { read: true });
    } catch (error) {
      throw errors.io(error, "get", { ref, key });
    }
    if (reply == null) return undefined;
    const [meta, json] = reply as [string, string | null];
    return toEntry(key, meta, json);
  }

  async put(ref: StoreRef, record: PutRecord, options: PutOptions): Promise<number | Conflict> {
    const keys = this.keys(ref, "put");
    assertCanonical(record.updatedAt);
    if (record.createdAt !== undefined) assertCanonical(record.createdAt);
    try {
      return outcome((await this.script("put", keys, putArgs(record, options))) as WriteReply);
    } catch (error) {
      throw errors.io(error, "put", { ref, key: record.key });
    }
  }

  async putMany(ref: StoreRef, records: PutRecord[]): Promise<void> {
    const keys = this.keys(ref, "import");
    for (const r of records) {
      assertCanonical(r.updatedAt);
      if (r.createdAt !== undefined) assertCanonical(r.createdAt);
    }
    // One round trip for the batch; each put is still its own atomic script.
    const pipeline = this.redis.pipeline();
    for (const r of records) queueScript(pipeline, "put", keys, putArgs(r, {}));
    let results: [Error | null, unknown][] | null;
    try {
      results = await this.inFlight.run(() => pipeline.exec());
    } catch (error) {
      throw errors.io(error, "import", { ref });
    }
    const failed = (results ?? []).findIndex(([error]) => error);
    if (failed >= 0) {
      throw errors.io(results?.[failed]?.[0], "import", { ref, key: records[failed]?.key as string });
    }
  }

  async delete(ref: StoreRef, key: string, options: DeleteOptions): Promise<boolean | Conflict> {
    const keys = this.keys(ref, "delete");
    const args = [encodeKey(key), options.notBefore ?? "", options.ifVersion ?? ""];
    let reply: WriteReply;
    try {
      reply = (await this.script("delete", keys, args)) as WriteReply;
    } catch (error) {
      throw errors.io(error, "delete", { ref, key });
    }
    const result = outcome(reply);
    return typeof result === "number" ? result === 1 : result;
  }

  async list(ref: StoreRef, query: ListQuery): Promise<StoreEntry[]> {
    const keys = this.keys(ref, "list");
    const [min, max] = listBounds(query.after, query.notBefore);
    try {
      const args = [min, max, query.offset, query.limit];
      const reply = await this.script("list", keys, args, { read: true, buffers: true });
      const [fields, metas, values] = reply as [Buffer[], (Buffer | null)[], (Buffer | null)[]];
      return fields.map((field, i) => toEntry(decodeKey(field), metas[i]?.toString(), values[i]?.toString()));
    } catch (error) {
      throw errors.io(error, "list", { ref });
    }
  }

  async prune(ref: StoreRef, query: PruneQuery): Promise<number> {
    const keys = this.keys(ref, "prune");
    const args: ScriptArg[] = [
      query.maxEntries ?? "",
      query.olderThan === undefined ? "" : olderThanBound(query.olderThan),
      PRUNE_BATCH,
    ];
    let removed = 0;
    try {
      // Batches keep each script short; the prune as a whole is not one step, and need not be.
      for (;;) {
        const n = Number(await this.script("prune", keys, args));
        removed += n;
        if (n < PRUNE_BATCH) return removed;
      }
    } catch (error) {
      throw errors.io(error, "prune", { ref });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.redis.quit(); // waits for the replies still on their way
    } catch {
      this.redis.disconnect(); // the connection was gone already
    }
  }

  /** Runs a script. A read whose connection was lost is sent once more, after the reconnect. */
  private async script(
    name: ScriptName,
    keys: string[],
    args: ScriptArg[],
    how: { read?: boolean; buffers?: boolean } = {},
  ): Promise<unknown> {
    const once = () => this.inFlight.run(() => runScript(this.redis, name, keys, args, how.buffers));
    try {
      return await once();
    } catch (error) {
      if (how.read && error instanceof ConnectionLost) return once();
      throw error;
    }
  }

  /** The project's Redis keys, once the backend is known to be open. */
  private keys(ref: StoreRef, doing: string): string[] {
    if (this.closed) throw errors.closed(doing);
    return keyList(projectKeys(this.options.keyPrefix, ref));
  }
}

function putArgs(record: PutRecord, options: PutOptions): ScriptArg[] {
  return [
    encodeKey(record.key),
    record.json,
    record.taskId,
    record.updatedAt,
    record.createdAt ?? "",
    record.version ?? "",
    options.maxEntries ?? "",
    options.notBefore ?? "",
    options.ifVersion ?? "",
    options.ifAbsent ? "1" : "",
  ];
}

/** A script's answer as the contract wants it: the number, or a Conflict (0 means no live entry). */
function outcome([ok, value]: WriteReply): number | Conflict {
  return ok === 1 ? value : conflict(value === 0 ? undefined : value);
}
