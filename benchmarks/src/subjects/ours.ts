/**
 * Our backends through the public API (`StoreManager` → `manager.store(…)`), the way an application
 * calls them: every figure includes core's validation, serialization, schema checks and retention.
 * Shared by local.ts, file.ts and command.ts.
 */
import { spawnSync } from "node:child_process";
import type { StoreHandle, StoreManager } from "@store/core";
import type { BackendDefinition } from "@store/core/backend";
import { keyFor, type SeedEntry, VALUE_SCHEMA, valueFor } from "../dataset";
import type { Contender } from "../harness";
import type { ScenarioId, SubjectContext } from "./types";

type CoreModule = typeof import("@store/core");

/** Imports a package by name at run time, so a missing or broken build is reported, not fatal. */
export async function importByName<T>(name: string): Promise<T> {
  return (await import(/* @vite-ignore */ name)) as T;
}

export async function loadCore(): Promise<CoreModule> {
  return importByName<CoreModule>("@store/core");
}

/** A backend definition from a package: its named export, else its default export. */
export async function loadBackend(pkg: string, exportName: string): Promise<BackendDefinition<unknown>> {
  const mod = await importByName<Record<string, unknown>>(pkg);
  const def = (mod[exportName] ?? mod.default) as BackendDefinition<unknown> | undefined;
  if (!def || typeof def.create !== "function") {
    throw new Error(`${pkg} does not export a backend definition named ${exportName}`);
  }
  return def;
}

export const STORE = {
  main: "bench",
  schema: "bench-schema",
  retained: "bench-retained",
  imported: "bench-import",
} as const;

export const RETAINED_MAX = 500;

/** The WorkflowStore manifests of the scenarios' stores, all served by `provider`. */
export function storeManifests(provider: string, extra: Record<string, unknown>[] = []) {
  const store = (name: string, spec: Record<string, unknown> = {}) => ({
    apiVersion: "wfstore.dev/v1",
    kind: "WorkflowStore",
    metadata: { name },
    spec: { provider, ...spec },
  });
  return {
    objects: [
      ...extra,
      store(STORE.main),
      store(STORE.schema, { schema: VALUE_SCHEMA }),
      store(STORE.retained, { retention: { max_entries: RETAINED_MAX } }),
      store(STORE.imported),
    ],
  };
}

export interface OursOptions {
  /** Entries seeded into the schema store (its puts overwrite random keys among them). */
  schemaEntries: number;
  /** Scenarios this subject skips, with the reason shown in the report. */
  skip?: Partial<Record<ScenarioId, string>>;
  /** Max timed rounds for the single-shot scenarios (prune, import), which reseed after each run. */
  singleShotRounds?: number;
  /** Max timed rounds for import alone (it is the slowest single shot for durable files). */
  importRounds?: number;
  /** Entries the import scenario writes (default: all of the dataset). */
  importEntries?: number;
  /**
   * Seeds the stores through this manager instead (same data directory, e.g. a file backend with
   * fsync off: setup is not measured). It is closed after seeding and the OS buffers are synced, so
   * the measured manager opens the seeded data as any new process would.
   */
  seedManager?: StoreManager;
}

/** Writes entries through `import` (putMany where the backend has it), as a restore would. */
export async function seed(store: StoreHandle, entries: Iterable<SeedEntry>): Promise<number> {
  return store.import(entries, { batchSize: 1000 });
}

/** Fails loudly when a subject does not hold what the scenarios assume (a fast wrong answer is no figure). */
export function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`verification failed: ${message}`);
}

/** Seeds the stores, verifies them, and returns one contender per scenario. */
export async function oursContenders(
  id: string,
  _core: CoreModule,
  manager: StoreManager,
  ctx: SubjectContext,
  options: OursOptions,
): Promise<Partial<Record<ScenarioId, Contender>>> {
  const { dataset: ds, keys, deletes } = ctx;
  const main = manager.store(STORE.main);
  const schema = manager.store(STORE.schema);
  const retained = manager.store(STORE.retained);
  const imported = manager.store(STORE.imported);
  const skip = options.skip ?? {};
  const singleShot = options.singleShotRounds;

  const seeder = options.seedManager ?? manager;
  await seed(seeder.store(STORE.main), ds.entries());
  const schemaSize = Math.min(options.schemaEntries, ds.size);
  await seed(seeder.store(STORE.schema), ds.entries(ds.size - schemaSize, ds.size));
  if (!skip["put-retention"]) {
    await seed(seeder.store(STORE.retained), ds.entries(ds.size - RETAINED_MAX, ds.size));
  }
  if (options.seedManager) {
    await options.seedManager.close();
    spawnSync("sync");
  }

  // What every scenario relies on.
  const probe = keys.at(0);
  check(
    ((await main.get(keyFor(probe))) as { id?: number } | undefined)?.id === probe,
    `get(${keyFor(probe)})`,
  );
  const first = await main.list({ limit: 50 });
  check(first.length === 50 && first[0]?.key === keyFor(ds.size - 1), "newest-50 order");
  const deep = ds.deepPosition;
  // Cursors are opaque (core exports no encoder): page to the deep position once, as a user would.
  let cursor: string | undefined;
  for (let seen = 0; seen < deep; ) {
    const p = await main.listPage({ limit: Math.min(1000, deep - seen), ...(cursor ? { cursor } : {}) });
    check(p.entries.length > 0 && p.nextCursor !== undefined, `paging to position ${deep}`);
    seen += p.entries.length;
    cursor = p.nextCursor;
  }
  const page = await main.listPage({ limit: 50, cursor });
  check(page.entries[0]?.key === keyFor(ds.atPosition(deep)), "deep cursor page");

  const c: Partial<Record<ScenarioId, Contender>> = {};
  c.get = {
    id,
    async run(ops, start) {
      for (let j = 0; j < ops; j++) await main.get(keyFor(keys.at(start + j)));
    },
  };
  c["newest-50"] = {
    id,
    async run(ops) {
      for (let j = 0; j < ops; j++) await main.list({ limit: 50 });
    },
  };
  if (!skip["deep-offset"]) {
    c["deep-offset"] = {
      id,
      async run(ops) {
        for (let j = 0; j < ops; j++) await main.list({ limit: 50, offset: deep });
      },
    };
  }
  if (!skip["deep-cursor"]) {
    c["deep-cursor"] = {
      id,
      async run(ops) {
        for (let j = 0; j < ops; j++) await main.listPage({ limit: 50, cursor });
      },
    };
  }
  const restoreOld = () => seed(main, ds.entries(0, ds.oldCount));
  const pruneContender = (query: { ttlDays?: number; maxEntries?: number }): Contender => ({
    id,
    fixedOps: 1,
    ...(singleShot ? { maxRounds: singleShot } : {}),
    note: `removes ${ds.oldCount.toLocaleString("en-US")} of ${ds.size.toLocaleString("en-US")}`,
    async run() {
      const removed = await main.prune(query);
      check(removed === ds.oldCount, `prune removed ${removed}, expected ${ds.oldCount}`);
    },
    reset: restoreOld,
  });
  if (!skip["prune-age"]) c["prune-age"] = pruneContender({ ttlDays: ds.pruneTtlDays });
  if (!skip["prune-count"]) c["prune-count"] = pruneContender({ maxEntries: ds.pruneMaxEntries });
  c.put = {
    id,
    async run(ops, start) {
      for (let j = 0; j < ops; j++) {
        const i = keys.at(start + j);
        await main.put(keyFor(i), valueFor(i, start + j), { taskId: "bench" });
      }
    },
  };
  c["put-schema"] = {
    id,
    note: `store of ${schemaSize.toLocaleString("en-US")} entries`,
    async run(ops, start) {
      const offset = ds.size - schemaSize;
      for (let j = 0; j < ops; j++) {
        const i = offset + (keys.at(start + j) % schemaSize);
        await schema.put(keyFor(i), valueFor(i, start + j), { taskId: "bench" });
      }
    },
  };
  if (!skip["put-retention"]) {
    c["put-retention"] = {
      id,
      async run(ops, start) {
        for (let j = 0; j < ops; j++) {
          await retained.put(`ret_${start + j}`, valueFor(start + j), { taskId: "bench" });
        }
      },
    };
  }
  c.delete = {
    id,
    async run(ops, start) {
      let missing = 0;
      for (let j = 0; j < ops; j++) if (!(await main.delete(keyFor(deletes.at(start + j))))) missing++;
      check(missing === 0, `${missing} deletes found no entry`);
    },
    async reset(ops, start) {
      const back: SeedEntry[] = [];
      for (let j = 0; j < ops; j++) back.push(ds.entry(deletes.at(start + j)));
      await seed(main, back);
    },
  };
  if (!skip.import && options.importEntries !== 0) {
    const importRounds = options.importRounds ?? singleShot;
    const importN = Math.min(options.importEntries ?? ds.size, ds.size);
    c.import = {
      id,
      fixedOps: 1,
      weight: importN,
      ...(importN < ds.size ? { note: `${importN.toLocaleString("en-US")} entries per import` } : {}),
      noWarmup: true,
      ...(importRounds ? { maxRounds: importRounds } : {}),
      async run() {
        const n = await imported.import(ds.entries(0, importN), { batchSize: 1000 });
        check(n === importN, `import wrote ${n}`);
      },
      async reset() {
        await imported.prune({ maxEntries: 0 });
      },
    };
  }
  return c;
}
