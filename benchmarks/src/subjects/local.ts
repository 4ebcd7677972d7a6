/** `@store/backend-local` (SQLite) through StoreManager. */
import { loadBackend, loadCore, oursContenders, storeManifests } from "./ours";
import type { SubjectFactory } from "./types";

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
    const contenders = await oursContenders("local", core, manager, ctx, {
      schemaEntries: ctx.size,
      singleShotRounds: ctx.size > 50_000 ? 5 : undefined,
    });
    return {
      id: "local",
      contenders,
      entries: ctx.size,
      close: () => manager.close(),
    };
  },
};
