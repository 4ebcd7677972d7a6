import {
  BACKEND_SPECIFICATION_VERSION,
  compareListOrder,
  conflict,
  defineBackend,
  isAfter,
  nextVersion,
  type PutRecord,
  type StoreEntry,
  type StoreRef,
} from "@store/core/backend";

export const MEMORY_BACKEND_NAME = "memory";

/** One project's entries, and the highest version ever removed from it (see `nextVersion`). */
interface Project {
  entries: Map<string, StoreEntry>;
  floor: number;
}

/**
 * The reference backend: every capability, in a few lines, kept in one process's memory. It passes
 * the whole conformance suite and is what core's own tests run on. Not for production: nothing
 * persists, and list sorts the whole project on every call.
 */
export const memoryBackend = defineBackend({
  name: MEMORY_BACKEND_NAME,
  specificationVersion: BACKEND_SPECIFICATION_VERSION,
  capabilities: { retentionOnPut: true, cursor: true, prune: true, conditionalWrites: true },
  optionsSchema: { type: "object", additionalProperties: false, properties: {} },
  create() {
    const projects = new Map<string, Project>();
    const project = (ref: StoreRef): Project => {
      const id = `${ref.store}\u0000${ref.project}`;
      let p = projects.get(id);
      if (!p) {
        p = { entries: new Map(), floor: 0 };
        projects.set(id, p);
      }
      return p;
    };
    const live = (p: Project, key: string, notBefore?: string) => {
      const e = p.entries.get(key);
      return e && !(notBefore && e.updatedAt < notBefore) ? e : undefined;
    };
    const remove = (p: Project, key: string) => {
      const e = p.entries.get(key);
      if (!e) return false;
      p.floor = Math.max(p.floor, e.version);
      return p.entries.delete(key);
    };
    const write = (p: Project, r: PutRecord): number => {
      const existing = p.entries.get(r.key);
      const version = nextVersion(existing?.version, p.floor, r.version);
      // structuredClone: a caller mutating its object afterwards must not change what is stored.
      p.entries.set(r.key, {
        key: r.key,
        value: structuredClone(r.value),
        createdAt: r.createdAt ?? existing?.createdAt ?? r.updatedAt,
        updatedAt: r.updatedAt,
        taskId: r.taskId,
        version,
      });
      return version;
    };
    const sorted = (p: Project) => [...p.entries.values()].sort(compareListOrder);
    const prune = (p: Project, maxEntries?: number, olderThan?: string) => {
      let removed = 0;
      sorted(p).forEach((e, i) => {
        if (
          (maxEntries !== undefined && i >= maxEntries) ||
          (olderThan !== undefined && e.updatedAt < olderThan)
        ) {
          remove(p, e.key);
          removed++;
        }
      });
      return removed;
    };
    const copy = (e: StoreEntry): StoreEntry => ({ ...e, value: structuredClone(e.value) });
    return {
      get(ref, key, { notBefore }) {
        const e = live(project(ref), key, notBefore);
        return e && copy(e);
      },
      put(ref, record, { maxEntries, notBefore, ifVersion, ifAbsent }) {
        const p = project(ref);
        const current = live(p, record.key, notBefore);
        if ((ifAbsent && current) || (ifVersion !== undefined && current?.version !== ifVersion)) {
          return conflict(current?.version);
        }
        const version = write(p, record);
        if (maxEntries !== undefined) prune(p, maxEntries);
        return version;
      },
      putMany(ref, records) {
        const p = project(ref);
        for (const r of records) write(p, r);
      },
      delete(ref, key, { notBefore, ifVersion }) {
        const p = project(ref);
        const current = live(p, key, notBefore);
        if (ifVersion !== undefined && current?.version !== ifVersion) return conflict(current?.version);
        return remove(p, key) && current !== undefined;
      },
      list(ref, { limit, offset, after, notBefore }) {
        let all = sorted(project(ref));
        if (after) all = all.filter((e) => isAfter(e, after));
        if (notBefore) all = all.filter((e) => e.updatedAt >= notBefore);
        return all.slice(offset, offset + limit).map(copy);
      },
      prune(ref, { maxEntries, olderThan }) {
        return prune(project(ref), maxEntries, olderThan);
      },
      snapshot(ref, { notBefore }) {
        // A copy taken now: writes after this call are not seen.
        let all = sorted(project(ref))
          .filter((e) => !(notBefore && e.updatedAt < notBefore))
          .map(copy);
        let next = 0;
        return {
          read(limit) {
            const page = all.slice(next, next + limit);
            next += page.length;
            return page;
          },
          close() {
            all = [];
          },
        };
      },
      close() {
        projects.clear();
      },
    };
  },
});
