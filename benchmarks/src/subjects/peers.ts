/**
 * The libraries a user would pick instead, each used the way its documentation shows:
 * Keyv 5 + @keyv/sqlite (switched to WAL), unstorage + fs driver, unstorage + db0 + better-sqlite3
 * (WAL), and LangGraph's InMemoryStore as an in-memory reference.
 */
import fs from "node:fs";
import path from "node:path";
import { type BenchValue, keyFor as benchKey, type SeedEntry, valueFor } from "../dataset";
import type { Contender } from "../harness";
import { check, importByName } from "./ours";
import type { ScenarioId, SubjectFactory } from "./types";

interface KvLike {
  get(key: string): Promise<unknown>;
  set(key: string, value: BenchValue): Promise<unknown>;
  del(key: string): Promise<unknown>;
}

/** get / put / delete contenders shared by the key-value peers. */
function kvContenders(
  id: string,
  kv: KvLike,
  ctx: Parameters<SubjectFactory["create"]>[0],
  restore: (entries: SeedEntry[]) => Promise<void>,
  keyFor: (i: number) => string = benchKey,
): Partial<Record<ScenarioId, Contender>> {
  const { keys, deletes, dataset: ds } = ctx;
  return {
    get: {
      id,
      async run(ops, start) {
        for (let j = 0; j < ops; j++) await kv.get(keyFor(keys.at(start + j)));
      },
    },
    put: {
      id,
      async run(ops, start) {
        for (let j = 0; j < ops; j++) {
          const i = keys.at(start + j);
          await kv.set(keyFor(i), valueFor(i, start + j));
        }
      },
    },
    delete: {
      id,
      async run(ops, start) {
        for (let j = 0; j < ops; j++) await kv.del(keyFor(deletes.at(start + j)));
      },
      async reset(ops, start) {
        const back: SeedEntry[] = [];
        for (let j = 0; j < ops; j++) back.push(ds.entry(deletes.at(start + j)));
        await restore(back);
      },
    },
  };
}

async function verifyGet(kv: KvLike, i: number, who: string, keyFor = benchKey): Promise<void> {
  const v = (await kv.get(keyFor(i))) as { id?: number } | null | undefined;
  check(v?.id === i, `${who} get(${keyFor(i)})`);
}

/**
 * SQLite durability of a peer. `wal`: the setting, journal_mode=WAL with SQLite's default
 * synchronous (FULL: an fsync per commit). `wal-normal`: also synchronous=NORMAL, the durability our
 * local backend defaults to, for a like-for-like comparison of the work per put.
 */
type PeerSync = "wal" | "wal-normal";

const suffix = (sync: PeerSync) => (sync === "wal" ? "" : "-normal");
const syncLabel = (sync: PeerSync) => (sync === "wal" ? "WAL" : "WAL, synchronous=NORMAL");

export const keyvSqliteSubject = keyvSqlite("wal");
export const keyvSqliteNormalSubject = keyvSqlite("wal-normal");

function keyvSqlite(sync: PeerSync): SubjectFactory {
  const id = `keyv-sqlite${suffix(sync)}`;
  return {
    id,
    label: `peer: Keyv 5 + @keyv/sqlite (${syncLabel(sync)})`,
    kind: "peer",
    family: "sqlite",
    packages: ["keyv", "@keyv/sqlite"],
    async create(ctx) {
      const { default: Keyv } = await importByName<typeof import("keyv")>("keyv");
      const { default: KeyvSqlite } = await importByName<typeof import("@keyv/sqlite")>("@keyv/sqlite");
      const store = new KeyvSqlite({ uri: `sqlite://${path.join(ctx.dir, "keyv.sqlite")}` });
      // For fairness: @keyv/sqlite keeps SQLite's default rollback journal; switch its connection to WAL.
      const rows = (await store.query("PRAGMA journal_mode=WAL")) as { journal_mode?: string }[];
      check(rows[0]?.journal_mode === "wal", "keyv: WAL");
      if (sync === "wal-normal") await store.query("PRAGMA synchronous=NORMAL");
      const level = (await store.query("PRAGMA synchronous")) as { synchronous?: number }[];
      check(level[0]?.synchronous === (sync === "wal" ? 2 : 1), `${id}: synchronous`);
      const keyv = new Keyv({ store });
      keyv.on("error", () => {});
      const load = async (entries: Iterable<SeedEntry>) => {
        // One transaction around the seeding: the connection is shared, so the sets all run inside it.
        await store.query("BEGIN");
        let batch: Promise<unknown>[] = [];
        for (const e of entries) {
          batch.push(keyv.set(e.key, e.value));
          if (batch.length >= 1000) {
            await Promise.all(batch);
            batch = [];
          }
        }
        await Promise.all(batch);
        await store.query("COMMIT");
      };
      await load(ctx.dataset.entries());
      const kv: KvLike = {
        get: (k) => keyv.get(k),
        set: (k, v) => keyv.set(k, v),
        del: (k) => keyv.delete(k),
      };
      await verifyGet(kv, ctx.keys.at(0), id);
      return {
        id,
        contenders: kvContenders(id, kv, ctx, load),
        entries: ctx.size,
        close: () => keyv.disconnect(),
      };
    },
  };
}

export const unstorageDb0Subject = unstorageDb0("wal");
export const unstorageDb0NormalSubject = unstorageDb0("wal-normal");

function unstorageDb0(sync: PeerSync): SubjectFactory {
  const id = `unstorage-db0${suffix(sync)}`;
  return {
    id,
    label: `peer: unstorage + db0 + better-sqlite3 (${syncLabel(sync)})`,
    kind: "peer",
    family: "sqlite",
    packages: ["unstorage", "db0", "better-sqlite3"],
    async create(ctx) {
      const { createStorage } = await importByName<typeof import("unstorage")>("unstorage");
      const { default: db0Driver } =
        await importByName<typeof import("unstorage/drivers/db0")>("unstorage/drivers/db0");
      const { createDatabase } = await importByName<typeof import("db0")>("db0");
      const { default: sqlite } = await importByName<typeof import("db0/connectors/better-sqlite3")>(
        "db0/connectors/better-sqlite3",
      );
      // The driver prints an "experimental" notice once per process; keep the benchmark output clean.
      (globalThis as Record<string, unknown>).__unstorage_db0_experimental_warning__ = true;
      const database = createDatabase(sqlite({ path: path.join(ctx.dir, "unstorage.sqlite") }));
      await database.exec("PRAGMA journal_mode = WAL");
      if (sync === "wal-normal") await database.exec("PRAGMA synchronous = NORMAL");
      // Typed as a promise by db0; the better-sqlite3 connector returns the Database itself.
      const raw = await database.getInstance();
      check(raw.pragma("journal_mode", { simple: true }) === "wal", "unstorage-db0: WAL");
      check(raw.pragma("synchronous", { simple: true }) === (sync === "wal" ? 2 : 1), `${id}: synchronous`);
      const storage = createStorage({ driver: db0Driver({ database }) });
      const load = async (entries: Iterable<SeedEntry>) => {
        await storage.hasItem("warm"); // creates the table before the transaction
        await database.exec("BEGIN");
        for (const e of entries) await storage.setItem(e.key, e.value);
        await database.exec("COMMIT");
      };
      await load(ctx.dataset.entries());
      const kv: KvLike = {
        get: (k) => storage.getItem(k),
        set: (k, v) => storage.setItem(k, v),
        del: (k) => storage.removeItem(k),
      };
      await verifyGet(kv, ctx.keys.at(0), id);
      return {
        id,
        contenders: kvContenders(id, kv, ctx, load),
        entries: ctx.size,
        close: async () => {
          await storage.dispose();
          await database.dispose?.();
        },
      };
    },
  };
}

export const unstorageFsSubject: SubjectFactory = {
  id: "unstorage-fs",
  label: "peer: unstorage + fs driver",
  kind: "peer",
  family: "file",
  packages: ["unstorage"],
  async create(ctx) {
    const { createStorage } = await importByName<typeof import("unstorage")>("unstorage");
    const { default: fsDriver } =
      await importByName<typeof import("unstorage/drivers/fs")>("unstorage/drivers/fs");
    // The driver's format is the value's JSON in a file named by the key, and a newest-first listing
    // can only go by mtimes. raw-file's directory is exactly that (keys `bench_000123.json`), seeded with
    // the seeded times as mtimes: read it rather than write and delete another copy of every file.
    const shared = ctx.shared.jsonFiles;
    const keyName = shared ? (i: number) => `${benchKey(i)}.json` : benchKey;
    let base: string;
    let write: (entries: Iterable<SeedEntry>) => void;
    if (shared) {
      base = shared.dir;
      write = shared.write;
    } else {
      base = path.join(ctx.dir, "unstorage-fs");
      fs.mkdirSync(base, { recursive: true });
      write = (entries) => {
        for (const e of entries) {
          const file = path.join(base, e.key);
          fs.writeFileSync(file, JSON.stringify(e.value));
          const t = new Date(e.updatedAt);
          fs.utimesSync(file, t, t);
        }
      };
      write(ctx.dataset.entries());
    }
    const storage = createStorage({ driver: fsDriver({ base }) });
    const kv: KvLike = {
      get: (k) => storage.getItem(k),
      set: (k, v) => storage.setItem(k, v),
      del: (k) => storage.removeItem(k),
    };
    await verifyGet(kv, ctx.keys.at(0), "unstorage-fs", keyName);
    /** Newest 50 with unstorage's API: every key, the mtime of each (getMeta), sort, read 50. */
    const newest50 = async () => {
      const keys = (await storage.getKeys()) as string[];
      const metas = await Promise.all(keys.map((k) => storage.getMeta(k) as Promise<{ mtime?: Date }>));
      const order = keys.map((k, i) => ({ k, t: metas[i]?.mtime?.getTime() ?? 0 }));
      order.sort((a, b) => b.t - a.t || (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
      return Promise.all(order.slice(0, 50).map((o) => storage.getItem(o.k)));
    };
    const firstPage = (await newest50()) as { id?: number }[];
    check(firstPage[0]?.id === ctx.size - 1, "unstorage-fs newest-50 order");
    const contenders = kvContenders("unstorage-fs", kv, ctx, async (entries) => write(entries), keyName);
    contenders["newest-50"] = {
      id: "unstorage-fs",
      note: "getKeys + getMeta (mtime) of every key, sort, getItem × 50",
      maxRounds: ctx.quick ? 2 : 3,
      async run(ops) {
        for (let j = 0; j < ops; j++) await newest50();
      },
    };
    return {
      id: "unstorage-fs",
      contenders,
      entries: ctx.size,
      ...(shared ? { notes: ["reads and writes the raw-file directory (keys `<key>.json`)"] } : {}),
      close: () => storage.dispose(),
    };
  },
};

export const langgraphSubject: SubjectFactory = {
  id: "langgraph-memory",
  label: "reference: LangGraph InMemoryStore (no persistence)",
  kind: "peer",
  family: "memory",
  packages: ["@langchain/langgraph", "@langchain/langgraph-checkpoint"],
  async create(ctx) {
    const { InMemoryStore } =
      await importByName<typeof import("@langchain/langgraph")>("@langchain/langgraph");
    type Store = InstanceType<typeof InMemoryStore>;
    const ns = ["bench"];
    const fill = async (target: Store, namespace: string[], entries: Iterable<SeedEntry>) => {
      let ops: { namespace: string[]; key: string; value: BenchValue }[] = [];
      for (const e of entries) {
        ops.push({ namespace, key: e.key, value: e.value });
        if (ops.length >= 1000) {
          await target.batch(ops);
          ops = [];
        }
      }
      if (ops.length > 0) await target.batch(ops);
    };
    const store = new InMemoryStore();
    await fill(store, ns, ctx.dataset.entries());
    const kv: KvLike = {
      get: async (k) => (await store.get(ns, k))?.value,
      set: (k, v) => store.put(ns, k, v),
      del: (k) => store.delete(ns, k),
    };
    await verifyGet(kv, ctx.keys.at(0), "langgraph");
    const contenders = kvContenders("langgraph-memory", kv, ctx, (entries) => fill(store, ns, entries));
    let imported = new InMemoryStore();
    contenders.import = {
      id: "langgraph-memory",
      fixedOps: 1,
      weight: ctx.size,
      noWarmup: true,
      note: "batch() of 1,000 puts",
      run: () => fill(imported, ["import"], ctx.dataset.entries()),
      reset() {
        imported = new InMemoryStore();
      },
    };
    return { id: "langgraph-memory", contenders, entries: ctx.size, close() {} };
  },
};
