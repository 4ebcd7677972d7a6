/** `@store/backend-local` (SQLite) through StoreManager. */
import type { StoreHandle } from "@store/core";
import { type Dataset, exportEntries, type KeySequence, keyFor, valueFor } from "../dataset";
import type { Contender } from "../harness";
import { check, loadBackend, loadCore, oursContenders, STORE, seed, storeManifests } from "./ours";
import type { SubjectFactory } from "./types";

/** The store of ~2 KB values the export scenario reads (local and raw-sqlite alike). */
export const EXPORT_STORE = "bench-export";
/** `prune to the newest 500` keeps this many. */
export const PRUNE_KEEP = 500;

/**
 * Issue 11: the overwrites of `put`, each on condition that the key still has the version last seen.
 * The versions a run needs are read in the untimed reset after the run before it (and by the first
 * use of a key in the warm-up), so the figure is the conditional put alone, comparable with `put`.
 */
function conditionalPut(store: StoreHandle, keys: KeySequence): Contender {
  const versions = new Map<number, number>();
  const versionOf = async (i: number) => {
    const known = versions.get(i);
    if (known !== undefined) return known;
    const version = (await store.getEntry(keyFor(i)))?.version;
    check(version !== undefined, `getEntry(${keyFor(i)})`);
    return version as number;
  };
  return {
    id: "local",
    note: "put(key, value, { ifVersion }) with the key's current version",
    async run(ops, start) {
      for (let j = 0; j < ops; j++) {
        const i = keys.at(start + j);
        const ifVersion = await versionOf(i);
        const { version } = await store.put(keyFor(i), valueFor(i, start + j), {
          taskId: "bench",
          ifVersion,
        });
        versions.set(i, version);
      }
    },
    async reset(ops, start) {
      // The next run starts where this one ended; warm-up runs grow up to 4× longer.
      for (let j = start + ops; j < start + 5 * ops; j++)
        versions.set(keys.at(j), await versionOf(keys.at(j)));
    },
  };
}

/** Issue 15: `prune({ maxEntries: 500 })` of the main store, then an untimed reseed of what it removed. */
function pruneToNewest(store: StoreHandle, ds: Dataset, rounds: number | undefined): Contender {
  const removed = ds.size - PRUNE_KEEP;
  return {
    id: "local",
    fixedOps: 1,
    ...(rounds ? { maxRounds: rounds } : {}),
    note: `removes ${removed.toLocaleString("en-US")} of ${ds.size.toLocaleString("en-US")}`,
    async run() {
      const n = await store.prune({ maxEntries: PRUNE_KEEP });
      check(n === removed, `prune removed ${n}, expected ${removed}`);
    },
    reset: () => seed(store, ds.entries(0, removed)),
  };
}

/** Issue 15: every entry of a store of ~2 KB values, through `entries()` as `wfstore store export` reads it. */
function exportAll(store: StoreHandle, size: number, rounds: number | undefined): Contender {
  return {
    id: "local",
    fixedOps: 1,
    weight: size,
    ...(rounds ? { maxRounds: rounds } : {}),
    note: "entries({ batchSize: 1000 }): keyset pages of 1,000",
    async run() {
      let n = 0;
      for await (const _ of store.entries({ batchSize: 1000 })) n++;
      check(n === size, `export read ${n} entries`);
    },
  };
}

export const localSubject: SubjectFactory = {
  id: "local",
  label: "ours: local (SQLite) via StoreManager",
  kind: "ours",
  family: "sqlite",
  packages: ["@store/backend-local", "better-sqlite3"],
  async create(ctx) {
    const core = await loadCore();
    const backend = await loadBackend("@store/backend-local", "localBackend");
    const manager = new core.StoreManager({
      dataDir: ctx.dir,
      backends: [backend],
      resources: core.loadManifests(storeManifests("local")),
    });
    const singleShot = ctx.size > 50_000 ? 5 : undefined;
    const contenders = await oursContenders("local", core, manager, ctx, {
      schemaEntries: ctx.size,
      singleShotRounds: singleShot,
    });
    const main = manager.store(STORE.main);
    const exported = manager.store(EXPORT_STORE);
    await exported.import(exportEntries(ctx.dataset), { batchSize: 1000 });
    contenders["put-if-version"] = conditionalPut(main, ctx.keys);
    contenders["prune-newest-500"] = pruneToNewest(main, ctx.dataset, singleShot);
    contenders.export = exportAll(exported, ctx.size, singleShot);
    return {
      id: "local",
      contenders,
      entries: ctx.size,
      close: () => manager.close(),
    };
  },
};
