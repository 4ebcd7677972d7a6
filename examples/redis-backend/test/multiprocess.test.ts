import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, PACKAGE_DIR } from "./built";
import { adminClient, closeAdminClient, deleteUnder, keysUnder, REDIS_URL, testNamespace } from "./redis";

const WRITER = path.join(PACKAGE_DIR, "test", "fixtures", "counter.mjs");
const namespace = testNamespace("multiprocess");

function writer(keyPrefix: string, count: number) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const { NODE_PATH: _, ...env } = process.env; // see by-name.test.ts
    const child = spawn(process.execPath, [WRITER, REDIS_URL, keyPrefix, String(count), PACKAGE_DIR], {
      stdio: ["ignore", "pipe", "pipe"],
      env,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(assertBuilt);

afterAll(async () => {
  try {
    await deleteUnder(namespace.run);
    expect(await keysUnder(namespace.run)).toEqual([]);
  } finally {
    await closeAdminClient();
  }
});

describe("8 processes racing on one counter", () => {
  it("200 update() increments each: exactly 1600, no error escapes", { timeout: 180_000 }, async () => {
    const keyPrefix = namespace.next();
    const results = await Promise.all(Array.from({ length: 8 }, () => writer(keyPrefix, 200)));
    for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0, stderr: "" });
    expect(await adminClient().hget(`${keyPrefix}{race/}:values`, "counter")).toBe("1600");
    const attempts = results.reduce(
      (sum, r) => sum + (JSON.parse(r.stdout) as { attempts: number }).attempts,
      0,
    );
    expect(attempts).toBeGreaterThanOrEqual(1600); // every conflict cost a retry, none an increment
    console.log(`1600 increments took ${attempts} attempts`);
  });
});
