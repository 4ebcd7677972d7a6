import { packageTestConfig } from "../../vitest.shared.ts";

// kv.sh serialises the writes of a project under its lock, one process each: the conformance suite's
// imports of 1,000+ entries need minutes on a loaded 2-core machine.
export default packageTestConfig({ testTimeout: 300_000 });
