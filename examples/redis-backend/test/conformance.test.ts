import { runConformanceSuite } from "@store/testkit";
import { afterAll, describe, expect, it } from "vitest";
import redisBackend from "../src/index";
import { closeAdminClient, deleteUnder, keysUnder, REDIS_URL, testNamespace } from "./redis";

// The whole testkit against the real server: every check gets its own key prefix (a fresh,
// empty namespace) and the testkit's cleanup hook deletes it after the check.
const namespace = testNamespace("conformance");

runConformanceSuite({
  name: "@acme/store-backend-redis",
  backend: redisBackend,
  options: () => ({ url: REDIS_URL, keyPrefix: namespace.next() }),
  cleanup: async (options) => {
    await deleteUnder(options.keyPrefix as string);
  },
  runner: { describe, it },
});

afterAll(async () => {
  try {
    expect(await keysUnder(namespace.run), "keys left behind by the conformance run").toEqual([]);
  } finally {
    await closeAdminClient();
  }
});
