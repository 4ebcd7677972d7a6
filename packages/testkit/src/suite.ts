import { LIMITS, StoreError } from "@store/core";
import type { BackendCapabilities, JsonValue, PutRecord } from "@store/core/backend";
import type { Check, CheckContext, ConformanceGroup, InstanceCheck, StoreCheck } from "./check";
import { backendChecks } from "./checks/backend";
import { isolationChecks } from "./checks/isolation";
import { keyChecks } from "./checks/keys";
import { limitChecks } from "./checks/limits";
import { cursorChecks, listChecks } from "./checks/list";
import { concurrencyChecks, importChecks, largeValueChecks } from "./checks/load";
import { pruneChecks, retentionChecks, ttlChecks } from "./checks/retention";
import { deleteChecks, upsertChecks } from "./checks/upsert-delete";
import { valueChecks } from "./checks/values";
import { versionChecks } from "./checks/versions";
import { expect } from "./expect";
import { type BackendUnderTest, createTestInstance, createTestManager } from "./harness";

/** Every check of the suite, in the order it runs: the backend itself first, then through core. */
export const conformanceChecks: readonly Check[] = [
  ...backendChecks,
  ...valueChecks,
  ...upsertChecks,
  ...deleteChecks,
  ...listChecks,
  ...cursorChecks,
  ...limitChecks,
  ...pruneChecks,
  ...retentionChecks,
  ...ttlChecks,
  ...versionChecks,
  ...isolationChecks,
  ...keyChecks,
  ...largeValueChecks,
  ...concurrencyChecks,
  ...importChecks,
];

/** The test-registration functions of your runner: vitest's, jest's, mocha's or node:test's. */
export interface TestRunner {
  describe(name: string, body: () => void): unknown;
  it: ((name: string, body: () => Promise<void>) => unknown) & {
    skip?: (name: string, body: () => Promise<void>) => unknown;
  };
}

export interface ConformanceOptions extends BackendUnderTest {
  /** The suite's title, usually the backend's package name. */
  name: string;
  /** Groups this backend cannot support. Say why in your README; the suite shows them as skipped. */
  skip?: ConformanceGroup[];
  /** `{ describe, it }` from your test runner. Default: the global ones (vitest `globals`, jest, mocha). */
  runner?: TestRunner;
}

/**
 * The capabilities checks are gated on: the definition's, narrowed by what the target says its
 * instance turns off (a command provider without a prune command, say).
 */
function expectedCapabilities(target: BackendUnderTest): BackendCapabilities {
  return { ...target.backend.capabilities, ...target.capabilities };
}

/** The instance must have exactly the capabilities the target declares: no silent narrowing. */
function checkCapabilities(target: BackendUnderTest, actual: Readonly<BackendCapabilities>): void {
  expect(actual, "the instance's capabilities (definition narrowed by instance.capabilities)").toEqual(
    expectedCapabilities(target),
  );
}

/** Runs one check against a fresh instance or manager and data directory. Rejects when it fails. */
export async function runCheck(c: Check, target: BackendUnderTest): Promise<void> {
  return c.level === "instance" ? runInstanceCheck(c, target) : runStoreCheck(c, target);
}

async function runStoreCheck(c: StoreCheck, target: BackendUnderTest): Promise<void> {
  const t = await createTestManager({ ...target, check: c.name, ...(c.stores ? { stores: c.stores } : {}) });
  try {
    // The capabilities of this instance: resolving a store creates it.
    const probe = await t.manager.resolve("conformance", "");
    checkCapabilities(target, probe.capabilities);
    const context: CheckContext = {
      manager: t.manager,
      clock: t.clock,
      dataDir: t.dataDir,
      store: (name = "conformance", project) => t.manager.store(name, project ? { project } : {}),
      maxValueBytes: target.maxValueBytes ?? LIMITS.valueMaxBytes,
      capabilities: probe.capabilities,
    };
    await c.run(context);
  } finally {
    await t.cleanup();
  }
}

async function runInstanceCheck(c: InstanceCheck, target: BackendUnderTest): Promise<void> {
  const t = await createTestInstance(target, c.name);
  try {
    checkCapabilities(target, t.capabilities);
    await c.run({
      instance: t.instance,
      capabilities: t.capabilities,
      clock: t.clock,
      dataDir: t.dataDir,
      ref: (store = "conformance", project = "") => ({ store, project }),
      record: (key: string, value: JsonValue, extra: Partial<PutRecord> = {}): PutRecord => ({
        key,
        value,
        json: JSON.stringify(value),
        taskId: "",
        updatedAt: new Date(t.clock.now()).toISOString(),
        ...extra,
      }),
    });
  } finally {
    await t.cleanup();
  }
}

/**
 * Registers the conformance suite with your test runner. Call it at the top level of a test file:
 * `runConformanceSuite({ name: "my-backend", backend, options: ({ dataDir }) => ({ … }) })`.
 * Checks that need a capability the backend does not declare are skipped.
 */
export function runConformanceSuite(options: ConformanceOptions): void {
  const { describe, it } = options.runner ?? globalRunner();
  const skip = new Set(options.skip ?? []);
  const caps = expectedCapabilities(options);
  describe(`@store/testkit conformance: ${options.name}`, () => {
    const groups = [...new Set(conformanceChecks.map((c) => c.group))];
    for (const group of groups) {
      describe(group, () => {
        for (const c of conformanceChecks.filter((x) => x.group === group)) {
          const missing = (c.requires ?? []).some((cap) => !caps[cap]);
          const skipped = skip.has(group) || missing;
          if (!skipped) it(c.name, () => runCheck(c, options));
          else it.skip?.(c.name, () => runCheck(c, options));
        }
      });
    }
  });
}

function globalRunner(): TestRunner {
  const g = globalThis as unknown as Partial<TestRunner>;
  if (typeof g.describe === "function" && typeof g.it === "function")
    return { describe: g.describe, it: g.it };
  throw new StoreError(
    "INVALID_ARGUMENT",
    'runConformanceSuite: no test runner found: pass `runner: { describe, it }` (e.g. from "vitest"), or enable your runner\'s globals',
  );
}
