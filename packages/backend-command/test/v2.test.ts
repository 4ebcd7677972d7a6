import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { eventually, failure, isAlive, managerWith } from "./helpers";
import { FIXTURES, KV_V2 } from "./providers";

const FIXTURE = path.join(FIXTURES, "v2-fixture.mjs");

function fixture(extra: Record<string, unknown> = {}) {
  return (dir: string) => ({ process: [process.execPath, FIXTURE], workingDir: dir, ...extra });
}

async function pidOf(t: Awaited<ReturnType<typeof managerWith>>): Promise<number> {
  return (await t.manager.store("s").get("pid")) as number;
}

/** Runs `body` with `name` set in the host's environment (the provider gets it through `env`). */
async function withEnv<T>(name: string, value: string, body: () => Promise<T>): Promise<T> {
  process.env[name] = value;
  try {
    return await body();
  } finally {
    delete process.env[name];
  }
}

describe("handshake", () => {
  it("refuses a provider that speaks another protocol version", async () => {
    await withEnv("FIXTURE_PROTOCOL", "3", async () => {
      const t = await managerWith(fixture({ env: ["FIXTURE_PROTOCOL"] }));
      const error = await failure(t.manager.store("s").get("k"), "PROVIDER_PROTOCOL");
      expect(error.message).toMatch(
        /start: the provider .*v2-fixture.mjs"\] did not complete its handshake: it must answer "ok": true and "protocol": 2; the provider answered .*\\"protocol\\":3/,
      );
    });
  });

  it("times out a provider that never completes the handshake, and kills it", async () => {
    await withEnv("FIXTURE_SILENT", "1", async () => {
      const t = await managerWith(fixture({ env: ["FIXTURE_SILENT", "FIXTURE_LOG"], timeoutSeconds: 0.5 }));
      const log = path.join(t.dataDir, "fixture.log");
      await withEnv("FIXTURE_LOG", log, async () => {
        const error = await failure(t.manager.store("s").get("k"), "PROVIDER_TIMEOUT");
        expect(error.message).toMatch(/did not complete its handshake: no reply within 0.5 s to request 1/);
        const pid = Number(fs.readFileSync(log, "utf8").split(" ")[1]);
        await eventually(() => !isAlive(pid), 10_000, "the silent provider to be killed");
      });
    });
  });

  it("names a missing executable", async () => {
    const t = await managerWith((dir) => ({ process: ["/nonexistent/v2-provider-xyz"], workingDir: dir }));
    const error = await failure(t.manager.store("s").get("k"), "PROVIDER_FAILED");
    expect(error.message).toMatch(/executable "\/nonexistent\/v2-provider-xyz" not found/);
  });

  it("the instance's capabilities are what the provider announced", async () => {
    const bare = await managerWith(fixture());
    expect((await bare.manager.resolve("s", "")).capabilities).toEqual({
      retentionOnPut: false,
      cursor: false,
      prune: true,
      conditionalWrites: false,
    });
    const kv = await managerWith((dir) => ({ process: [process.execPath, KV_V2], workingDir: dir }));
    expect((await kv.manager.resolve("s", "")).capabilities).toEqual({
      retentionOnPut: false,
      cursor: true,
      prune: true,
      conditionalWrites: true,
    });
  });

  it("a provider restarted after a crash must announce what it announced at first", async () => {
    const t = await managerWith(fixture({ env: ["FIXTURE_CAPABILITIES_FILE"] }));
    const file = path.join(t.dataDir, "capabilities.json");
    fs.writeFileSync(file, "{}");
    await withEnv("FIXTURE_CAPABILITIES_FILE", file, async () => {
      await pidOf(t);
      await failure(t.manager.store("s").get("crash"), "PROVIDER_FAILED");
      fs.writeFileSync(file, '{"cursor": true}');
      const error = await failure(t.manager.store("s").get("k"), "PROVIDER_PROTOCOL");
      expect(error.message).toMatch(
        /the restarted provider announced .*"cursor":true.*, not .*"cursor":false/,
      );
    });
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

  // Issue 13, defect 4, for v2: an error reply and the stderr tail are the provider's text.
  it("escapes control and bidi characters of error replies and of stderr", async () => {
    const t = await managerWith(fixture({ timeoutSeconds: 1 }));
    const replied = await failure(t.manager.store("s").get("escape"), "PROVIDER_FAILED");
    expect(replied.message).not.toMatch(/[\u0000-\u001f\u007f\u202e]/);
    expect(replied.message).toContain("\\x1b[2J\\x1b]0;owned\\x07 \\u202edesrever");
    const timedOut = await failure(t.manager.store("s").get("hang"), "PROVIDER_TIMEOUT");
    expect(timedOut.message).toContain("stderr: \\x1b[2J\\x1b]0;owned\\x07 \\u202edesrever");
    expect(timedOut.message).not.toMatch(/[\u0000-\u001f\u007f\u202e]/);
  });

  it("gets only the minimal host environment", async () => {
    await withEnv("MY_SECRET_TOKEN", "hunter2", async () => {
      const t = await managerWith(fixture());
      const env = (await t.manager.store("s").get("env")) as Record<string, string>;
      expect(env.MY_SECRET_TOKEN).toBeUndefined();
      expect(env.PATH).toBe(process.env.PATH);
    });
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
    const t = await managerWith(fixture({ timeoutSeconds: 1 }));
    const s = t.manager.store("s");
    const first = await pidOf(t);
    const hung = failure(s.get("hang"), "PROVIDER_TIMEOUT");
    // Answers keep coming while "hang" waits, so the provider is slow on one request, not stuck.
    const until = Date.now() + 1500;
    while (Date.now() < until) await s.get("slow:50");
    expect((await hung).message).toMatch(/get of key "hang" in store "s": no reply within 1 s/);
    expect(await pidOf(t)).toBe(first);
  });

  it("a provider silent since a request was sent is killed at its timeout and restarted", async () => {
    const t = await managerWith(fixture({ timeoutSeconds: 0.5 }));
    const first = await pidOf(t);
    await failure(t.manager.store("s").get("hang"), "PROVIDER_TIMEOUT");
    await eventually(() => !isAlive(first), 10_000, "the hung provider to be killed");
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
    const t = await managerWith(fixture({ maxOutputBytes: 256 }));
    const error = await failure(t.manager.store("s").get("env"), "PROVIDER_PROTOCOL");
    expect(error.message).toMatch(/a line longer than max_output_bytes \(256\)/);
  });

  it("close() shuts the provider down cleanly: stdin closes and it exits by itself", async () => {
    const t = await managerWith(fixture({ env: ["FIXTURE_LOG"] }));
    const log = path.join(t.dataDir, "fixture.log");
    await withEnv("FIXTURE_LOG", log, async () => {
      const pid = await pidOf(t);
      await t.manager.close();
      expect(isAlive(pid)).toBe(false);
      // "stop" is written by the provider's own exit handler: it was not killed.
      expect(fs.readFileSync(log, "utf8")).toBe(`start ${pid}\nstop ${pid}\n`);
    });
  });

  it("close() kills a provider that ignores stdin EOF after its grace period", async () => {
    const t = await managerWith(fixture({ env: ["FIXTURE_IGNORE_EOF"], timeoutSeconds: 0.5 }));
    await withEnv("FIXTURE_IGNORE_EOF", "1", async () => {
      const pid = await pidOf(t);
      await t.manager.close();
      expect(isAlive(pid)).toBe(false);
    });
  });
});

describe("STORE_TRACE", () => {
  afterEach(() => {
    delete process.env.STORE_TRACE;
    vi.restoreAllMocks();
  });

  it("shows each v2 request and reply on stderr, every field kept, values elided past 200 characters", async () => {
    process.env.STORE_TRACE = "1";
    const lines: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const t = await managerWith((dir) => ({ process: [process.execPath, KV_V2], workingDir: dir }));
    await t.manager.store("s").put("k", { text: "v".repeat(1000) }, { taskId: "t1" });
    const trace = lines.join("");
    expect(trace).toMatch(/v2 → \{"id":1,"op":"hello","protocol":2\}/);
    expect(trace).toMatch(/v2 ← \{"id":1,"ok":true,"protocol":2,"capabilities":\{/);
    expect(trace).toMatch(
      /v2 → \{"id":2,"op":"put","store":"s","project":"","entry":\{"key":"k","value":"\{\\"text\\":\\"v+…\(1011 chars\)","updated_at":"[^"]+","task_id":"t1"\}\}/,
    );
    expect(trace).toMatch(/v2 ← \{"id":2,"ok":true,"version":1\}/);
    expect(trace).not.toContain("v".repeat(201));
  });
});
