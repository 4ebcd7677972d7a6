import type { StoreHandle, StoreManager } from "@store/core";
import type {
  BackendCapabilities,
  BackendInstance,
  CapabilityName,
  JsonValue,
  PutRecord,
  StoreRef,
} from "@store/core/backend";
import type { FakeClock } from "./clock";
import type { TestManagerOptions } from "./harness";

/** The groups of the suite; a backend may skip a group it cannot support, and says why. */
export type ConformanceGroup =
  | "backend"
  | "values"
  | "upsert"
  | "delete"
  | "list"
  | "cursor"
  | "limits"
  | "prune"
  | "retention"
  | "ttl"
  | "versions"
  | "isolation"
  | "keys"
  | "large-values"
  | "concurrency"
  | "import";

/** What a check through the manager gets: a manager over the backend under test. */
export interface CheckContext {
  manager: StoreManager;
  clock: FakeClock;
  dataDir: string;
  /** A handle on a store of the backend under test (default store "conformance", default project). */
  store(name?: string, project?: string): StoreHandle;
  /** The largest value the suite may write. */
  maxValueBytes: number;
  /** The capabilities of the instance under test (the definition's, narrowed by the instance). */
  capabilities: Readonly<BackendCapabilities>;
}

/** What a backend-level check gets: the instance itself, called directly, with no core in between. */
export interface InstanceCheckContext {
  instance: BackendInstance;
  capabilities: Readonly<BackendCapabilities>;
  clock: FakeClock;
  dataDir: string;
  /** A store reference (default store "conformance", default project). */
  ref(store?: string, project?: string): StoreRef;
  /** A record as core would hand it over: serialized, timestamped now on the fake clock. */
  record(key: string, value: JsonValue, extra?: Partial<PutRecord>): PutRecord;
}

interface CheckBase {
  group: ConformanceGroup;
  name: string;
  /** Capabilities without which the check cannot apply. */
  requires?: CapabilityName[];
}

/** One conformance check through StoreManager: a plain async function, runnable outside the suite. */
export interface StoreCheck extends CheckBase {
  level: "store";
  /** Store definitions this check needs (retention, TTL). */
  stores?: TestManagerOptions["stores"];
  run(t: CheckContext): Promise<void>;
}

/** One check of the backend instance itself: catches what core would otherwise paper over. */
export interface InstanceCheck extends CheckBase {
  level: "instance";
  run(t: InstanceCheckContext): Promise<void>;
}

export type Check = StoreCheck | InstanceCheck;

export function check(
  group: ConformanceGroup,
  name: string,
  run: StoreCheck["run"],
  extra: Partial<Omit<StoreCheck, "level" | "run">> = {},
): StoreCheck {
  return { level: "store", group, name, run, ...extra };
}

export function instanceCheck(
  name: string,
  run: InstanceCheck["run"],
  extra: Partial<Omit<InstanceCheck, "level" | "run" | "group">> = {},
): InstanceCheck {
  return { level: "instance", group: "backend", name, run, ...extra };
}
