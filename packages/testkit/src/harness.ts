import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  type Awaitable,
  type BackendDefinition,
  ResourceSet,
  StoreManager,
  type StoreManagerOptions,
  type WorkflowStoreConfig,
} from "@store/core";
import { FakeClock } from "./clock";

/** The provider name the backend under test is registered as. */
export const PROVIDER_UNDER_TEST = "under-test";

export interface BackendUnderTest {
  backend: BackendDefinition<unknown>;
  /** Options for a fresh instance; called once per manager with that manager's data dir. */
  options?: (context: { dataDir: string }) => Awaitable<Record<string, unknown>>;
  /** Largest value the suite writes. Default: core's 16 MiB. */
  maxValueBytes?: number;
}

export interface TestManagerOptions extends BackendUnderTest {
  /** Extra store definitions (their provider defaults to the backend under test). */
  stores?: Array<Omit<WorkflowStoreConfig, "provider" | "retention"> & Partial<WorkflowStoreConfig>>;
  now?: () => number;
  dataDir?: string;
  managerOptions?: Partial<StoreManagerOptions>;
}

export interface TestManager {
  manager: StoreManager;
  clock: FakeClock;
  dataDir: string;
  /** Closes the manager and removes the data dir. */
  cleanup(): Promise<void>;
}

/**
 * A StoreManager whose auto-provisioned stores use the backend under test, with a fake clock and a
 * fresh temporary data directory.
 */
export async function createTestManager(options: TestManagerOptions): Promise<TestManager> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "wfstore-testkit-"));
  const clock = new FakeClock();
  const backendOptions = (await options.options?.({ dataDir })) ?? {};
  const resources = new ResourceSet({
    providers: [
      {
        name: PROVIDER_UNDER_TEST,
        mode: "plugin",
        plugin: options.backend.name,
        spec: { plugin: options.backend.name, options: backendOptions },
      },
    ],
    stores: (options.stores ?? []).map((s) => ({ provider: PROVIDER_UNDER_TEST, retention: {}, ...s })),
  });
  const manager = new StoreManager({
    dataDir,
    resources,
    backends: [options.backend],
    defaultProvider: PROVIDER_UNDER_TEST,
    now: options.now ?? clock.now,
    ...(options.maxValueBytes ? { maxValueBytes: options.maxValueBytes } : {}),
    ...options.managerOptions,
  });
  return {
    manager,
    clock,
    dataDir,
    async cleanup() {
      await manager.close();
      if (!options.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
