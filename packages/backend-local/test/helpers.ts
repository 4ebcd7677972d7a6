import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ResourceSet, StoreManager, type WorkflowStoreConfig } from "@store/core";
import { FakeClock } from "@store/testkit";
import { afterEach } from "vitest";
import { type LocalBackend, type LocalBackendOptions, localBackend } from "../src/index";

const dirs: string[] = [];
const managers: StoreManager[] = [];

afterEach(async () => {
  for (const m of managers.splice(0)) await m.close().catch(() => {});
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh directory, removed after the test. */
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "backend-local-"));
  dirs.push(dir);
  return dir;
}

export interface Opened {
  manager: StoreManager;
  clock: FakeClock;
  dataDir: string;
  /** The backend instance serving `store` (opening it if needed). */
  backend(store?: string): Promise<LocalBackend>;
}

/**
 * A StoreManager whose stores use this backend as the builtin `local` provider, with `options`
 * given through a declared provider as a manifest would, and a fake clock. Closed after the test.
 */
export function openManager(
  init: {
    dataDir?: string;
    options?: LocalBackendOptions;
    stores?: Array<Partial<WorkflowStoreConfig> & { name: string }>;
  } = {},
): Opened {
  const dataDir = init.dataDir ?? tempDir();
  const clock = new FakeClock();
  const resources = new ResourceSet({
    providers: init.options
      ? [{ name: "local", mode: "plugin", plugin: "local", spec: { plugin: "local", options: init.options } }]
      : [],
    stores: (init.stores ?? []).map((s) => ({ provider: "local", retention: {}, ...s })),
  });
  const manager = new StoreManager({ dataDir, resources, backends: [localBackend], now: clock.now });
  managers.push(manager);
  return {
    manager,
    clock,
    dataDir,
    async backend(store = "s") {
      return (await manager.resolve(store, "")).backend as LocalBackend;
    },
  };
}
