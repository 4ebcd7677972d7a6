export type {
  Check,
  CheckContext,
  ConformanceGroup,
  InstanceCheck,
  InstanceCheckContext,
  StoreCheck,
} from "./check";
export { check, instanceCheck } from "./check";
export { HOSTILE_KEYS } from "./checks/keys";
export { rejects } from "./checks/limits";
export { ORDER_KEYS } from "./checks/list";
export { SAMPLE_VALUES } from "./checks/values";
export { FakeClock } from "./clock";
export { expect } from "./expect";
export {
  type BackendUnderTest,
  createTestInstance,
  createTestManager,
  PROVIDER_UNDER_TEST,
  type TestInstance,
  type TestManager,
  type TestManagerOptions,
} from "./harness";
export { MEMORY_BACKEND_NAME, memoryBackend } from "./memory-backend";
export {
  type ConformanceOptions,
  conformanceChecks,
  runCheck,
  runConformanceSuite,
  type TestRunner,
} from "./suite";
