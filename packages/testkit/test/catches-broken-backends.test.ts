import {
  BACKEND_SPECIFICATION_VERSION,
  type BackendInstance,
  conflict,
  defineBackend,
  type StoreEntry,
} from "@store/core/backend";
import { describe, expect, it } from "vitest";
import { conformanceChecks, memoryBackend, runCheck } from "../src/index";

/** A backend that behaves like the reference one except for what `breakIt` changes. */
function broken(name: string, breakIt: (inner: BackendInstance) => Partial<BackendInstance>) {
  return defineBackend({
    name,
    specificationVersion: BACKEND_SPECIFICATION_VERSION,
    capabilities: memoryBackend.capabilities,
    async create(_options, context) {
      const inner = await memoryBackend.create({}, context);
      return { ...inner, ...breakIt(inner) };
    },
  });
}

/** Runs every check and returns the names of those the backend fails. */
async function failures(backend: ReturnType<typeof broken>): Promise<string[]> {
  const failed: string[] = [];
  for (const c of conformanceChecks) {
    try {
      await runCheck(c, { backend });
    } catch {
      failed.push(`${c.group}: ${c.name}`);
    }
  }
  return failed;
}

describe("the suite catches broken backends", () => {
  it("passes the reference backend completely (the baseline for the cases below)", async () => {
    expect(await failures(broken("reference", () => ({})))).toEqual([]);
  });

  it("one that ignores offset", async () => {
    const failed = await failures(
      broken("ignores-offset", (inner) => ({ list: (ref, q) => inner.list(ref, { ...q, offset: 0 }) })),
    );
    expect(failed).toContain("list: limit and offset page stably through tied timestamps");
    expect(failed).toContain("ttl: offsets count only visible entries");
  });

  it("one that loses created_at on upsert", async () => {
    const failed = await failures(
      broken("loses-created-at", (inner) => ({
        put: (ref, record, o) =>
          inner.put(ref, { ...record, createdAt: record.createdAt ?? record.updatedAt }, o),
      })),
    );
    expect(failed).toContain(
      "upsert: put on an existing key keeps created_at and updates value, updated_at and task_id",
    );
  });

  it("one that lets a key escape its project (paths joined naively)", async () => {
    const failed = await failures(
      broken("escapes", (inner) => {
        // Flattens (project, key) into a path and normalises it, as a careless file backend would.
        const place = (project: string, key: string) => {
          const parts: string[] = [];
          for (const seg of `${project || "_default"}/${key}`.split("/")) {
            if (seg === "..") parts.pop();
            else if (seg !== "." && seg !== "") parts.push(seg);
          }
          return { project: parts[0] ?? "", key: parts.slice(1).join("/") || "_" };
        };
        const at = (ref: { store: string; project: string }, key: string) => {
          const p = place(ref.project, key);
          return {
            ref: { store: ref.store, project: p.project === "_default" ? "" : p.project },
            key: p.key,
          };
        };
        return {
          get: (ref, key, q) => {
            const a = at(ref, key);
            return inner.get(a.ref, a.key, q);
          },
          put: (ref, record, o) => {
            const a = at(ref, record.key);
            return inner.put(a.ref, { ...record, key: a.key }, o);
          },
        };
      }),
    );
    expect(failed).toContain("isolation: no key escapes its project or store, however it is spelled");
  });

  it("one that sorts ties by key the wrong way (byte order instead of UTF-16)", async () => {
    const utf8 = (a: StoreEntry, b: StoreEntry) =>
      a.updatedAt !== b.updatedAt
        ? a.updatedAt > b.updatedAt
          ? -1
          : 1
        : Buffer.compare(Buffer.from(a.key), Buffer.from(b.key));
    const failed = await failures(
      broken("byte-order", (inner) => ({
        list: async (ref, q) => {
          const all = await inner.list(ref, { ...q, limit: 100_000, offset: 0 });
          return all.sort(utf8).slice(q.offset, q.offset + q.limit);
        },
      })),
    );
    expect(failed).toContain(
      "list: ties on updated_at are broken by key ascending, as JavaScript compares strings",
    );
  });

  it("one that keeps its own clock instead of core's timestamps", async () => {
    const failed = await failures(
      broken("own-clock", (inner) => ({
        put: (ref, r, o) => inner.put(ref, { ...r, updatedAt: new Date().toISOString() }, o),
      })),
    );
    expect(failed).toContain(
      "values: entries carry RFC 3339 UTC timestamps with milliseconds and the task id",
    );
    expect(failed).toContain(
      "ttl: an entry older than ttl_days is never returned by get or list, even before a prune",
    );
  });

  it("one whose delete always says the key existed", async () => {
    const failed = await failures(
      broken("lying-delete", (inner) => ({
        delete: async (ref, key, o) => {
          await inner.delete(ref, key, o);
          return true;
        },
      })),
    );
    expect(failed).toContain("delete: delete says whether the key existed and is idempotent");
  });

  it("one whose prune miscounts", async () => {
    const failed = await failures(
      broken("miscount", (inner) => ({ prune: async (ref, q) => ((await inner.prune?.(ref, q)) ?? 0) + 1 })),
    );
    expect(failed).toContain(
      "prune: prune by count keeps the newest max_entries and returns how many it removed",
    );
  });

  // Core trims pages and filters expired entries again, so only the backend-level checks see these.
  it("one that ignores limit", async () => {
    const failed = await failures(
      broken("ignores-limit", (inner) => ({ list: (ref, q) => inner.list(ref, { ...q, limit: 1000 }) })),
    );
    expect(failed).toContain("backend: list honours limit and offset itself");
  });

  it("one that ignores notBefore", async () => {
    const failed = await failures(
      broken("ignores-not-before", (inner) => ({
        get: (ref, key) => inner.get(ref, key, {}),
        list: (ref, q) => inner.list(ref, { ...q, notBefore: undefined }),
      })),
    );
    expect(failed).toContain("backend: get and list honour notBefore themselves");
  });

  it("one that ignores after (but declares cursor)", async () => {
    const failed = await failures(
      broken("ignores-after", (inner) => ({ list: (ref, q) => inner.list(ref, { ...q, after: undefined }) })),
    );
    expect(failed).toContain("backend: list honours after: entries strictly after the position, ties by key");
    expect(failed).toContain("cursor: listPage walks every entry once, in list order, while timestamps tie");
  });

  it("one whose versions restart after a delete", async () => {
    const failed = await failures(
      broken("forgets-versions", (inner) => {
        // Counts writes per key from 1 and forgets the count on delete, as a naive backend would.
        const counts = new Map<string, number>();
        const id = (ref: { store: string; project: string }, key: string) =>
          `${ref.store}/${ref.project}/${key}`;
        return {
          put: async (ref, record, o) => {
            const v = await inner.put(ref, record, o);
            if (typeof v !== "number") return v;
            const n = (counts.get(id(ref, record.key)) ?? 0) + 1;
            counts.set(id(ref, record.key), n);
            return n;
          },
          delete: (ref, key, o) => {
            counts.delete(id(ref, key));
            return inner.delete(ref, key, o);
          },
        };
      }),
    );
    expect(failed).toContain(
      "backend: versions grow with every write and never repeat after delete or prune",
    );
  });

  it("one that checks a condition but writes anyway (not atomic)", async () => {
    const failed = await failures(
      broken("writes-on-conflict", (inner) => ({
        put: async (ref, record, o) => {
          const outcome = await inner.put(ref, record, o);
          if (typeof outcome === "number") return outcome;
          await inner.put(ref, record, { ...o, ifVersion: undefined, ifAbsent: undefined });
          return conflict(outcome.currentVersion);
        },
      })),
    );
    expect(failed).toContain("backend: conditional put: ifVersion and ifAbsent check and write in one step");
    expect(failed).toContain(
      "versions: put with ifVersion writes only over that version; a stale one is a CONFLICT that writes nothing",
    );
  });

  it("one that checks a condition and writes in two steps (racing writers both win)", async () => {
    const failed = await failures(
      broken("two-steps", (inner) => ({
        put: async (ref, record, o) => {
          if (!o.ifAbsent && o.ifVersion === undefined) return inner.put(ref, record, o);
          const current = await inner.get(ref, record.key, o.notBefore ? { notBefore: o.notBefore } : {});
          await new Promise((resolve) => setTimeout(resolve, 1)); // another writer runs here
          if ((o.ifAbsent && current) || (o.ifVersion !== undefined && current?.version !== o.ifVersion)) {
            return conflict(current?.version);
          }
          return inner.put(ref, record, { ...o, ifAbsent: undefined, ifVersion: undefined });
        },
      })),
    );
    expect(failed).toContain(
      "backend: racing conditional puts: exactly one ifAbsent and one ifVersion writer wins, every round",
    );
  });

  it("one that declares a capability its instance turns off", async () => {
    const failed = await failures(
      broken("narrowed", (inner) => ({ capabilities: { cursor: false }, list: inner.list })),
    );
    expect(failed.length).toBe(conformanceChecks.length);
  });

  it("one whose snapshot reads the live store instead of a snapshot", async () => {
    const failed = await failures(
      broken("live-snapshot", (inner) => ({
        snapshot: (ref, query) => {
          // Keyset pages over the live store: a rewrite moves an entry before the position read so far.
          let after: { updatedAt: string; key: string } | undefined;
          return {
            async read(limit) {
              const page = await inner.list(ref, { limit, offset: 0, ...query, ...(after ? { after } : {}) });
              const last = page[page.length - 1];
              if (last) after = { updatedAt: last.updatedAt, key: last.key };
              return page;
            },
            close() {},
          };
        },
      })),
    );
    expect(failed).toEqual(["backend: a snapshot reads every entry in list order, as it was when opened"]);
  });
});
