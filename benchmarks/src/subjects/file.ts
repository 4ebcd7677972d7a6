/** `@store/backend-file` (JSON files with an index) through StoreManager, with its default options. */
import type { StoreHandle } from "@store/core";
import { type KeySequence, keyFor, valueFor } from "../dataset";
import type { Contender } from "../harness";
import { loadBackend, loadCore, oursContenders, STORE, storeManifests } from "./ours";
import type { SubjectFactory } from "./types";

/**
 * Entries of the schema store. Every file written must be deleted again, and on this machine's disk
 * (ext4 with online discard) deleting a file that reached the disk costs about 2 ms.
 */
export const FILE_SCHEMA_ENTRIES = 2_000;

/**
 * Timed import rounds for the file family (ours and raw): one. A durable import fsyncs every file
 * (about 1.4 ms each here) and the reset deletes them again (about 2 ms each).
 */
export const FILE_IMPORT_ROUNDS = 1;

/**
 * Entries per import in the file family: 10,000 in a full run, measured at the 10,000 size only (a
 * durable import costs the same per file into an empty store whatever the other stores hold, and
 * 100,000 would take about 6 minutes to write and delete); 1,000 in a quick run. 0 = not measured.
 */
export function fileImportEntries(size: number, quick: boolean): number {
  if (quick) return Math.min(size, 1000);
  return size <= 10_000 ? size : 0;
}

/**
 * Issue 11: the overwrites of `put`, each conditional on the version the previous write of that key
 * returned (a getEntry the first time this contender meets a key). The check runs under the lock the
 * write takes anyway, so it should cost next to nothing.
 */
function conditionalPut(id: string, store: StoreHandle, keys: KeySequence): Contender {
  const versions = new Map<string, number>();
  return {
    id,
    note: "put(key, value, { ifVersion }) on the version last written (getEntry on a key's first use)",
    async run(ops, start) {
      for (let j = 0; j < ops; j++) {
        const i = keys.at(start + j);
        const key = keyFor(i);
        const ifVersion = versions.get(key) ?? (await store.getEntry(key))?.version;
        const { version } = await store.put(key, valueFor(i, start + j), { taskId: "bench", ifVersion });
        versions.set(key, version);
      }
    },
  };
}

export const fileSubject: SubjectFactory = {
  id: "file",
  label: "ours: file (JSON files + index) via StoreManager",
  kind: "ours",
  family: "file",
  packages: ["@store/backend-file"],
  async create(ctx) {
    const core = await loadCore();
    const backend = await loadBackend("@store/backend-file", "fileBackend");
    const manager = new core.StoreManager({
      dataDir: ctx.dir,
      backends: [backend],
      resources: core.loadManifests(storeManifests("file")),
    });
    // Seeding 100,000 durable files one fsync at a time takes minutes and is not what is measured:
    // the same backend with fsync "never" writes the same files and index, then the measured
    // manager (default options: fsync "always") opens them.
    const seedManager = new core.StoreManager({
      dataDir: ctx.dir,
      backends: [backend],
      resources: core.loadManifests(
        storeManifests("file-seed", [
          {
            apiVersion: "wfstore.dev/v1",
            kind: "StoreBackendProvider",
            metadata: { name: "file-seed" },
            spec: { plugin: "file", options: { fsync: "never" } },
          },
        ]),
      ),
    });
    const big = ctx.size > 50_000;
    const contenders = await oursContenders("file", core, manager, ctx, {
      schemaEntries: FILE_SCHEMA_ENTRIES,
      singleShotRounds: big ? 3 : undefined,
      importRounds: FILE_IMPORT_ROUNDS,
      importEntries: fileImportEntries(ctx.size, ctx.quick),
      seedManager,
    });
    contenders["put-if-version"] = conditionalPut("file", manager.store(STORE.main), ctx.keys);
    return { id: "file", contenders, entries: ctx.size, close: () => manager.close() };
  },
};
