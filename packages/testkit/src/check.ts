import type { BackendCapabilities, StoreHandle, StoreManager } from "@store/core";
import type { FakeClock } from "./clock";
import type { TestManagerOptions } from "./harness";

/** The groups of the suite; a backend may skip a group it cannot support, and says why. */
export type ConformanceGroup =
  | "values"
  | "upsert"
  | "delete"
  | "list"
  | "cursor"
  | "limits"
  | "prune"
  | "retention"
  | "ttl"
  | "isolation"
  | "keys"
  | "large-values"
  | "concurrency"
  | "import";

export interface CheckContext {
  manager: StoreManager;
  clock: FakeClock;
  dataDir: string;
  /** A handle on a store of the backend under test (default store "conformance", default project). */
  store(name?: string, project?: string): StoreHandle;
  /** The largest value the suite may write. */
  maxValueBytes: number;
}

/** One conformance check: a plain async function, so it can also be run outside the suite. */
export interface Check {
  group: ConformanceGroup;
  name: string;
  /** Store definitions this check needs (retention, TTL). */
  stores?: TestManagerOptions["stores"];
  /** Capabilities without which the check cannot apply. */
  requires?: (keyof BackendCapabilities)[];
  run(t: CheckContext): Promise<void>;
}

export function check(
  group: ConformanceGroup,
  name: string,
  run: Check["run"],
  extra: Partial<Check> = {},
): Check {
  return { group, name, run, ...extra };
}
