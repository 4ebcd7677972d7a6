import { LIMITS, StoreError } from "@store/core";
import type { Check, CheckContext, ConformanceGroup } from "./check";
import { isolationChecks } from "./checks/isolation";
import { keyChecks } from "./checks/keys";
import { limitChecks } from "./checks/limits";
import { cursorChecks, listChecks } from "./checks/list";
import { concurrencyChecks, importChecks, largeValueChecks } from "./checks/load";
import { pruneChecks, retentionChecks, ttlChecks } from "./checks/retention";
import { deleteChecks, upsertChecks } from "./checks/upsert-delete";
import { valueChecks } from "./checks/values";
import { type BackendUnderTest, createTestManager } from "./harness";

/** Every check of the suite, in the order it runs. */
export const conformanceChecks: readonly Check[] = [
  ...valueChecks,
  ...upsertChecks,
  ...deleteChecks,
  ...listChecks,
  ...cursorChecks,
  ...limitChecks,
  ...pruneChecks,
  ...retentionChecks,
  ...ttlChecks,
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

/** Runs one check against a fresh manager and data directory. Rejects when the backend fails it. */
export async function runCheck(c: Check, target: BackendUnderTest): Promise<void> {
  const t = await createTestManager({ ...target, stores: c.stores });
  const context: CheckContext = {
    manager: t.manager,
    clock: t.clock,
    dataDir: t.dataDir,
    store: (name = "conformance", project) => t.manager.store(name, project ? { project } : {}),
    maxValueBytes: target.maxValueBytes ?? LIMITS.valueMaxBytes,
  };
  try {
    await c.run(context);
  } finally {
    await t.cleanup();
  }
}

/**
 * Registers the conformance suite with vitest. Call it at the top level of a test file:
 * `runConformanceSuite({ name: "my-backend", backend, options: ({ dataDir }) => ({ … }) })`.
 * Checks that need a capability the backend does not declare are skipped.
 */
export function runConformanceSuite(options: ConformanceOptions): void {
  const { describe, it } = options.runner ?? globalRunner();
  const skip = new Set(options.skip ?? []);
  const caps = options.backend.capabilities;
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
