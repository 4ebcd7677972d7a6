import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ResourceSet, StoreManager, type StoreManagerOptions, type WorkflowStoreConfig } from "@store/core";
import type {
  Awaitable,
  BackendCapabilities,
  BackendContext,
  BackendDefinition,
  BackendInstance,
} from "@store/core/backend";
import { FakeClock } from "./clock";

/** The provider name the backend under test is registered as. */
export const PROVIDER_UNDER_TEST = "under-test";

export interface BackendUnderTest {
  backend: BackendDefinition<unknown>;
  /**
   * Options for a fresh instance (camelCase, as the backend's schema declares them); called once per
   * check with that check's data dir. Give each call its own namespace (a schema, a key prefix) when
   * the backend keeps data outside the data dir.
   */
  options?: (context: { dataDir: string; check?: string }) => Awaitable<Record<string, unknown>>;
  /** Removes what an instance created outside the data dir (a schema, keys); after each check. */
  cleanup?: (options: Record<string, unknown>) => Awaitable<void>;
  /** Largest value the suite writes. Default: core's 16 MiB. */
  maxValueBytes?: number;
  /**
   * Capabilities the instance turns off although the definition declares them (see
   * `BackendInstance.capabilities`). Every check verifies the instance has exactly these.
   */
  capabilities?: Partial<BackendCapabilities>;
}

export interface TestManagerOptions extends BackendUnderTest {
  /** Extra store definitions (their provider defaults to the backend under test). */
  stores?: Array<Omit<WorkflowStoreConfig, "provider" | "retention"> & Partial<WorkflowStoreConfig>>;
  now?: () => number;
  dataDir?: string;
  managerOptions?: Partial<StoreManagerOptions>;
  /** The name of the check this manager is for, passed on to `options` (to name a namespace). */
  check?: string;
}

export interface TestManager {
  manager: StoreManager;
  clock: FakeClock;
  dataDir: string;
  /** Closes the manager, removes the data dir and runs the backend's `cleanup`. */
  cleanup(): Promise<void>;
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "wfstore-testkit-"));
}

/**
 * A StoreManager whose auto-provisioned stores use the backend under test, with a fake clock and a
 * fresh temporary data directory.
 */
export async function createTestManager(options: TestManagerOptions): Promise<TestManager> {
  const dataDir = options.dataDir ?? tempDir();
  const clock = new FakeClock();
  const backendOptions = (await options.options?.({ dataDir, check: options.check })) ?? {};
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
      try {
        await manager.close();
      } finally {
        if (!options.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
        await options.cleanup?.(backendOptions);
      }
    },
  };
}

export interface TestInstance {
  instance: BackendInstance;
  capabilities: Readonly<BackendCapabilities>;
  clock: FakeClock;
  dataDir: string;
  cleanup(): Promise<void>;
}

/** The backend's own instance, created as core creates it, with a fake clock and a fresh data dir. */
export async function createTestInstance(target: BackendUnderTest, check?: string): Promise<TestInstance> {
  const dataDir = tempDir();
  const clock = new FakeClock();
  const options = (await target.options?.({ dataDir, check })) ?? {};
  const context: BackendContext = {
    dataDir,
    providerName: PROVIDER_UNDER_TEST,
    baseDir: dataDir,
    now: clock.now,
    warn: () => {},
  };
  const instance = await target.backend.create(options, context);
  const capabilities = { ...target.backend.capabilities };
  for (const flag of Object.keys(capabilities) as (keyof BackendCapabilities)[]) {
    if (instance.capabilities?.[flag] === false) capabilities[flag] = false;
  }
  return {
    instance,
    capabilities,
    clock,
    dataDir,
    async cleanup() {
      try {
        await instance.close();
      } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
        await target.cleanup?.(options);
      }
    },
  };
}
