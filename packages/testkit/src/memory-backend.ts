import { defineBackend, type PutRecord, type StoreEntry, type StoreRef } from "@store/core";
import { compareListOrder, isAfter } from "./order";

export const MEMORY_BACKEND_NAME = "memory";

/**
 * The reference backend: every capability, in a few lines, kept in one process's memory. It passes
 * the whole conformance suite and is what core's own tests run on. Not for production: nothing
 * persists, and list sorts the whole project on every call.
 */
export const memoryBackend = defineBackend({
  name: MEMORY_BACKEND_NAME,
  specificationVersion: "v1",
  capabilities: {
    retentionOnPut: true,
    cursor: true,
    prune: true,
    ttlFilter: true,
    preservesTimestamps: true,
    putMany: true,
  },
  optionsSchema: { type: "object", additionalProperties: false, properties: {} },
  create() {
    const projects = new Map<string, Map<string, StoreEntry>>();
    const bucket = (ref: StoreRef) => {
      const id = `${ref.store}\u0000${ref.project}`;
      let entries = projects.get(id);
      if (!entries) {
        entries = new Map();
        projects.set(id, entries);
      }
      return entries;
    };
    const write = (ref: StoreRef, r: PutRecord) => {
      const entries = bucket(ref);
      const createdAt = r.createdAt ?? entries.get(r.key)?.createdAt ?? r.updatedAt;
      // structuredClone: a caller mutating its object afterwards must not change what is stored.
      entries.set(r.key, {
        key: r.key,
        value: structuredClone(r.value),
        createdAt,
        updatedAt: r.updatedAt,
        taskId: r.taskId,
      });
    };
    const sorted = (ref: StoreRef) => [...bucket(ref).values()].sort(compareListOrder);
    const prune = (ref: StoreRef, maxEntries?: number, olderThan?: string) => {
      const entries = bucket(ref);
      let removed = 0;
      sorted(ref).forEach((e, i) => {
        if (
          (maxEntries !== undefined && i >= maxEntries) ||
          (olderThan !== undefined && e.updatedAt < olderThan)
        ) {
          entries.delete(e.key);
          removed++;
        }
      });
      return removed;
    };
    return {
      get(ref, key, { notBefore }) {
        const e = bucket(ref).get(key);
        if (!e || (notBefore && e.updatedAt < notBefore)) return undefined;
        return { ...e, value: structuredClone(e.value) };
      },
      put(ref, record, { maxEntries }) {
        write(ref, record);
        if (maxEntries !== undefined) prune(ref, maxEntries);
      },
      putMany(ref, records) {
        for (const r of records) write(ref, r);
      },
      delete(ref, key) {
        return bucket(ref).delete(key);
      },
      list(ref, { limit, offset, after, notBefore }) {
        let all = sorted(ref);
        if (after) all = all.filter((e) => isAfter(e, after));
        if (notBefore) all = all.filter((e) => e.updatedAt >= notBefore);
        return all.slice(offset, offset + limit).map((e) => ({ ...e, value: structuredClone(e.value) }));
      },
      prune(ref, { maxEntries, olderThan }) {
        return prune(ref, maxEntries, olderThan);
      },
      close() {
        projects.clear();
      },
    };
  },
});
