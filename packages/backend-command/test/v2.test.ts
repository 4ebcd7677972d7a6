import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { eventually, failure, isAlive, managerWith } from "./helpers";
import { FIXTURES } from "./providers";

const FIXTURE = path.join(FIXTURES, "v2-fixture.mjs");

function fixture(extra: Record<string, unknown> = {}) {
  return (dir: string) => ({ process: [process.execPath, FIXTURE], working_dir: dir, ...extra });
}

async function pidOf(t: Awaited<ReturnType<typeof managerWith>>): Promise<number> {
  return (await t.manager.store("s").get("pid")) as number;
}

describe("handshake", () => {
  it("refuses a provider that speaks another protocol version", async () => {
    process.env.FIXTURE_PROTOCOL = "3";
    try {
      const t = await managerWith(fixture({ env: ["FIXTURE_PROTOCOL"] }));
      const error = await failure(t.manager.store("s").get("k"), "PROVIDER_PROTOCOL");
      expect(error.message).toMatch(
        /the handshake must answer "protocol": 2; the provider answered .*\\"protocol\\":3/,
      );
    } finally {
      delete process.env.FIXTURE_PROTOCOL;
    }
  });

  it("times out a provider that never completes the handshake", async () => {
    process.env.FIXTURE_SILENT = "1";
    try {
      const t = await managerWith(fixture({ env: ["FIXTURE_SILENT"], timeout_seconds: 0.5 }));
      const error = await failure(t.manager.store("s").get("k"), "PROVIDER_TIMEOUT");
      expect(error.message).toMatch(
        /get of key "k" in store "s": the provider .*v2-fixture.mjs"\] did not complete its handshake: no reply within 0.5 s to request 1/,
      );
    } finally {
      delete process.env.FIXTURE_SILENT;
    }
  });

  it("names a missing executable", async () => {
    const t = await managerWith((dir) => ({ process: ["/nonexistent/v2-provider-xyz"], working_dir: dir }));
    const error = await failure(t.manager.store("s").get("k"), "PROVIDER_FAILED");
    expect(error.message).toMatch(/executable "\/nonexistent\/v2-provider-xyz" not found/);
  });
});

describe("requests", () => {
  it("pipelines requests and matches out-of-order replies by id", async () => {
    const t = await managerWith(fixture());
    const s = t.manager.store("s");
    for (const key of ["slow:300", "slow:10", "slow:120"]) await s.put(key, key);
    const order: string[] = [];
    const results = await Promise.all(
      ["slow:300", "slow:10", "slow:120"].map((key) =>
        s.get(key).then((value) => {
          order.push(key);
          return value;
        }),
      ),
    );
    expect(results).toEqual(["slow:300", "slow:10", "slow:120"]);
    expect(order).toEqual(["slow:10", "slow:120", "slow:300"]); // all three were in flight at once
  });

  it("passes provider errors on, with UNSUPPORTED kept as such", async () => {
    const t = await managerWith(fixture());
    const failed = await failure(t.manager.store("s").get("fail"), "PROVIDER_FAILED");
    expect(failed.message).toMatch(
      /get of key "fail" in store "s": the provider answered with an error: the disk is on fire/,
    );
    const unsupported = await failure(t.manager.store("s").get("unsupported"), "UNSUPPORTED");
    expect(unsupported.message).toMatch(/no such thing here/);
  });

  it("gets only the minimal host environment", async () => {
    process.env.MY_SECRET_TOKEN = "hunter2";
    try {
      const t = await managerWith(fixture());
      const env = (await t.manager.store("s").get("env")) as Record<string, string>;
      expect(env.MY_SECRET_TOKEN).toBeUndefined();
      expect(env.PATH).toBe(process.env.PATH);
    } finally {
      delete process.env.MY_SECRET_TOKEN;
    }
  });
});

describe("failures and restarts", () => {
  it("a crash fails the requests in flight and the next request starts a new process", async () => {
    const t = await managerWith(fixture());
    const s = t.manager.store("s");
    const first = await pidOf(t);
    const inFlight = failure(s.get("slow:2000"), "PROVIDER_FAILED");
    const crash = await failure(s.get("crash"), "PROVIDER_FAILED");
    expect(crash.message).toMatch(
      /the provider process .* exited with code 3; it restarts on the next request/,
    );
    expect((await inFlight).message).toMatch(/exited with code 3/);
    const second = await pidOf(t);
    expect(second).not.toBe(first);
    expect(isAlive(first)).toBe(false);
  });

  it("a hung request times out; a provider that still answers others keeps running", async () => {
    const t = await managerWith(fixture({ timeout_seconds: 0.6 }));
    const s = t.manager.store("s");
    const first = await pidOf(t);
    const hung = failure(s.get("hang"), "PROVIDER_TIMEOUT");
    // Answers keep coming while "hang" waits, so the provider is slow on one request, not stuck.
    const until = Date.now() + 900;
    while (Date.now() < until) await s.get("slow:50");
    expect((await hung).message).toMatch(/get of key "hang" in store "s": no reply within 0.6 s/);
    expect(await pidOf(t)).toBe(first);
  });

  it("a provider silent since a request was sent is killed at its timeout and restarted", async () => {
    const t = await managerWith(fixture({ timeout_seconds: 0.5 }));
    const first = await pidOf(t);
    await failure(t.manager.store("s").get("hang"), "PROVIDER_TIMEOUT");
    await eventually(() => !isAlive(first), 5000, "the hung provider to be killed");
    expect(await pidOf(t)).not.toBe(first);
  });

  it("a line that is not a JSON reply is a protocol error; the provider restarts", async () => {
    const t = await managerWith(fixture());
    const first = await pidOf(t);
    const error = await failure(t.manager.store("s").get("garbage"), "PROVIDER_PROTOCOL");
    expect(error.message).toMatch(/a line that is not a JSON reply with an "id": "this is not json"/);
    expect(await pidOf(t)).not.toBe(first);
  });

  it("a reply line longer than max_output_bytes is a protocol error", async () => {
    const t = await managerWith(fixture({ max_output_bytes: 256 }));
    const error = await failure(t.manager.store("s").get("env"), "PROVIDER_PROTOCOL");
    expect(error.message).toMatch(/a line longer than max_output_bytes \(256\)/);
  });

  it("close() shuts the provider down cleanly: stdin closes and it exits by itself", async () => {
    const t = await managerWith((dir) => fixture({ env: ["FIXTURE_LOG"] })(dir));
    const log = path.join(t.dataDir, "fixture.log");
    process.env.FIXTURE_LOG = log;
    try {
      const pid = await pidOf(t);
      await t.manager.close();
      expect(isAlive(pid)).toBe(false);
      // "stop" is written by the provider's own exit handler: it was not killed.
      expect(fs.readFileSync(log, "utf8")).toBe(`start ${pid}\nstop ${pid}\n`);
    } finally {
      delete process.env.FIXTURE_LOG;
    }
  });
});
