export type { Check, CheckContext, ConformanceGroup } from "./check";
export { check } from "./check";
export { HOSTILE_KEYS } from "./checks/keys";
export { rejects } from "./checks/limits";
export { ORDER_KEYS } from "./checks/list";
export { SAMPLE_VALUES } from "./checks/values";
export { FakeClock } from "./clock";
export { expect } from "./expect";
export {
  type BackendUnderTest,
  createTestManager,
  PROVIDER_UNDER_TEST,
  type TestManager,
  type TestManagerOptions,
} from "./harness";
export { MEMORY_BACKEND_NAME, memoryBackend } from "./memory-backend";
export { compareKeys, compareListOrder, isAfter } from "./order";
export {
  type ConformanceOptions,
  conformanceChecks,
  runCheck,
  runConformanceSuite,
  type TestRunner,
} from "./suite";
