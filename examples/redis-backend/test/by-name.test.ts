import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, PACKAGE_DIR } from "./built";
import { adminClient, closeAdminClient, deleteUnder, keysUnder, REDIS_URL, testNamespace } from "./redis";

// What a user meets: a manifest names the package and core imports it by name from the project
// (`resolveFrom`). The program runs in its own Node process (test/fixtures/by-name.mjs), so that
// resolution is Node's own, not the test runner's.
const namespace = testNamespace("by-name");
const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), "wfstore-redis-elsewhere-"));
const FIXTURE = path.join(PACKAGE_DIR, "test", "fixtures", "by-name.mjs");

async function run(resolveFrom: string, keyPrefix: string): Promise<Record<string, unknown>> {
  // pnpm's bin shims export NODE_PATH=<workspace>/node_modules/.pnpm/node_modules, where every
  // workspace package is linked: require.resolve would find the package from anywhere. Users have no such thing.
  const { NODE_PATH: _, ...env } = process.env;
  const args = [FIXTURE, resolveFrom, REDIS_URL, keyPrefix];
  const { stdout } = await promisify(execFile)(process.execPath, args, { env });
  return JSON.parse(stdout) as Record<string, unknown>;
}

beforeAll(assertBuilt);

afterAll(async () => {
  fs.rmSync(elsewhere, { recursive: true, force: true });
  try {
    await deleteUnder(namespace.run);
    expect(await keysUnder(namespace.run)).toEqual([]);
  } finally {
    await closeAdminClient();
  }
});

describe('plugin: "@acme/store-backend-redis"', () => {
  it("a manifest naming the package makes the manager keep the store in Redis", async () => {
    const keyPrefix = namespace.next();
    // From the package's own directory the name resolves to its build (as from a project that installed it).
    expect(await run(PACKAGE_DIR, keyPrefix)).toEqual({ keys: ["second", "third"], version: 1 });
    const values = `${keyPrefix}{lessons/team-a}:values`;
    expect(await adminClient().hgetall(values)).toEqual({ second: '{"lesson":2}', third: '{"lesson":3}' });
  });

  it("where the package is not installed, the error names the package to install", async () => {
    const result = await run(elsewhere, namespace.next());
    expect(result.code).toBe("PLUGIN_NOT_INSTALLED");
    expect(result.message).toMatch(/npm install @acme\/store-backend-redis/);
  });
});
