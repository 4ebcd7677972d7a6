import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { threadId } from "node:worker_threads";
import { StoreError } from "@store/core";
import { afterEach, describe, expect, it } from "vitest";
import { type FileTestManager, fileManager } from "./helpers";

let t: FileTestManager | undefined;
let sleeper: ChildProcess | undefined;
afterEach(async () => {
  sleeper?.kill("SIGKILL");
  sleeper = undefined;
  await t?.cleanup();
  t = undefined;
});

function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", ""]);
  return r.pid as number;
}

async function livePid(): Promise<number> {
  sleeper = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
  await new Promise((resolve) => sleeper?.once("spawn", resolve));
  return sleeper.pid as number;
}

function holdLock(dir: string, pid: number, thread = 0): string {
  const meta = path.join(dir, ".meta");
  fs.mkdirSync(meta, { recursive: true });
  const lock = path.join(meta, "lock");
  fs.writeFileSync(lock, JSON.stringify({ pid, host: os.hostname(), thread, nonce: "0123456789ab" }));
  return lock;
}

describe("the directory lock", () => {
  it("is taken and released around each write, and leaves no file behind", async () => {
    t = await fileManager();
    const s = t.manager.store("s");
    await s.put("a", 1);
    await s.delete("a");
    await s.prune({ maxEntries: 0 });
    const meta = path.join(t.dir("s"), ".meta");
    expect(fs.existsSync(path.join(meta, "lock"))).toBe(false);
    expect(fs.readdirSync(meta).filter((n) => n.startsWith("owner-"))).toHaveLength(1);
    await t.manager.close();
    expect(fs.readdirSync(meta).filter((n) => n.startsWith("owner-") || n.startsWith("lock"))).toEqual([]);
  });

  it("left by a process that died is broken at once, and its temp files swept", async () => {
    t = await fileManager();
    const s = t.manager.store("s");
    await s.put("before", 0);
    const pid = deadPid();
    const lock = holdLock(t.dir("s"), pid);
    fs.writeFileSync(path.join(t.dir("s"), ".meta", `tmp-${pid}-cafe-1`), '{"torn');
    fs.writeFileSync(path.join(t.dir("s"), `.tmp-${pid}-cafe-2`), '{"torn');
    await s.put("after", 1);
    expect(await s.get("after")).toBe(1);
    expect(fs.existsSync(lock)).toBe(false);
    expect(fs.readdirSync(path.join(t.dir("s"), ".meta")).filter((n) => n.startsWith("tmp-"))).toEqual([]);
    expect(fs.readdirSync(t.dir("s")).filter((n) => n.startsWith(".tmp-"))).toEqual([]);
    expect(t.warnings.join("\n")).toContain(`removed a stale lock of pid ${pid} on ${os.hostname()}`);
  });

  it("left by this very thread (a recycled pid) is broken at once", async () => {
    t = await fileManager();
    holdLock(t.dir("s"), process.pid, threadId);
    await t.manager.store("s").put("k", 1);
    expect(await t.manager.store("s").get("k")).toBe(1);
  });

  it("held by a live process makes writers wait (not readers), then fail with who holds it", async () => {
    t = await fileManager({ backend: { lockTimeoutMs: 300 } });
    const s = t.manager.store("s");
    await s.put("k", "v");
    const pid = await livePid();
    const lock = holdLock(t.dir("s"), pid);
    expect(await s.get("k")).toBe("v");
    expect((await s.list()).map((e) => e.key)).toEqual(["k"]);
    const started = Date.now();
    const error = await s.put("k", "w").catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(StoreError.isInstance(error, "BACKEND_IO")).toBe(true);
    expect((error as Error).message).toMatch(new RegExp(`waiting for the lock .*held by pid ${pid}`));
    expect(fs.existsSync(lock)).toBe(true);
    expect(await s.get("k")).toBe("v");
    // Released: the waiting writer goes ahead.
    const pending = s.put("k", "x");
    setTimeout(() => fs.rmSync(lock), 100);
    await pending;
    expect(await s.get("k")).toBe("x");
  });

  it("held longer than lockStaleMs is broken even if its process lives (hung, or another host)", async () => {
    t = await fileManager({ backend: { lockStaleMs: 300, lockTimeoutMs: 10_000 } });
    const s = t.manager.store("s");
    const lock = holdLock(t.dir("s"), await livePid());
    const started = Date.now();
    await s.put("k", 1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(fs.existsSync(lock)).toBe(false);
    expect(await s.get("k")).toBe(1);
  });

  it("from another host is only broken by age", async () => {
    t = await fileManager({ backend: { lockStaleMs: 400, lockTimeoutMs: 10_000 } });
    const meta = path.join(t.dir("s"), ".meta");
    fs.mkdirSync(meta, { recursive: true });
    // A pid that is dead here means nothing on another host.
    fs.writeFileSync(
      path.join(meta, "lock"),
      JSON.stringify({ pid: deadPid(), host: "elsewhere.invalid", thread: 0, nonce: "x" }),
    );
    const started = Date.now();
    await t.manager.store("s").put("k", 1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
  });
});
