import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { loadManifests, StoreManager } from "@store/core";
import { describe, expect, it } from "vitest";
import { eventually, processesWith, tempDir } from "./helpers";
import { FIXTURES, KV_SH, KV_V2 } from "./providers";

const run = promisify(execFile);
const PACKAGE_DIR = path.resolve(FIXTURES, "../..");

describe("through core, as a manifest declares it", () => {
  it("core loads this package for a commands: provider; relative paths resolve against the manifest", async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, "bin"));
    fs.copyFileSync(KV_SH, path.join(dir, "bin", "kv.sh"));
    fs.chmodSync(path.join(dir, "bin", "kv.sh"), 0o755);
    const manifest = path.join(dir, "stores.yaml");
    fs.writeFileSync(
      manifest,
      `apiVersion: orchestrator.dev/v2
kind: StoreBackendProvider
metadata:
  name: kv-script
spec:
  commands:
    get: [./bin/kv.sh, get]       # argv: no shell
    put: ./bin/kv.sh put          # string: sh -c
    delete: ./bin/kv.sh delete
    list: ./bin/kv.sh list
    prune: ./bin/kv.sh prune
  working_dir: data
  timeout_seconds: 10
---
apiVersion: orchestrator.dev/v2
kind: WorkflowStore
metadata:
  name: lessons
spec:
  provider: kv-script
  retention:
    max_entries: 2
`,
    );
    fs.mkdirSync(path.join(dir, "data"));
    const manager = new StoreManager({
      dataDir: path.join(dir, "state"),
      resources: loadManifests({ paths: [manifest] }),
      resolveFrom: PACKAGE_DIR,
    });
    try {
      const s = manager.store("lessons", { project: "demo" });
      for (const key of ["a", "b", "c"]) await s.put(key, { key }, { taskId: "t1" });
      expect((await s.list()).map((e) => e.key).sort()).toEqual(["b", "c"]); // retention ran prune
      expect(await s.getEntry("c")).toMatchObject({ key: "c", value: { key: "c" }, taskId: "t1" });
      // kv.sh ran in working_dir: its files are under data/, not next to the manifest.
      const files = fs
        .readdirSync(path.join(dir, "data", "lessons", "p-demo"))
        .filter((f) => !f.startsWith("."));
      expect(files.sort()).toEqual(["kb", "kc"]);
    } finally {
      await manager.close();
    }
  });

  it("core's manifest validation reports an invalid command spec", async () => {
    expect(() =>
      loadManifests({
        text: `apiVersion: orchestrator.dev/v2
kind: StoreBackendProvider
metadata: { name: bad }
spec:
  commands: { get: [], put: x, delete: x, list: x }
`,
        file: "bad.yaml",
      }),
    ).toThrow(/bad\.yaml:\d+:\d+: spec\.commands\.get/);
  });
});

describe("the built package, used by name from a separate process", () => {
  for (const [mode, provider] of [
    ["commands", KV_SH],
    ["process", KV_V2],
  ] as const) {
    it(`a host that never calls close() still exits (${mode})`, async () => {
      const dir = tempDir();
      const { stdout } = await run(
        process.execPath,
        [path.join(FIXTURES, "no-close.mjs"), dir, mode, provider],
        {
          cwd: PACKAGE_DIR,
          timeout: 30_000,
        },
      );
      expect(JSON.parse(stdout)).toEqual({ mode });
    });
  }

  it("a v1 command still running, and a v2 provider that ignores EOF, die with a host that exits", async () => {
    const marker = `${Math.floor(100 + Math.random() * 800)}.${process.pid}${Date.now() % 100000}`;
    await run(process.execPath, [path.join(FIXTURES, "host-mid-op.mjs"), marker, "exit"], {
      cwd: PACKAGE_DIR,
      timeout: 60_000,
    });
    await eventually(() => processesWith(marker).length === 0, 10_000, "the orphaned groups to be gone");
  });

  // Issue 13, defect 2: on Ctrl-C the host died and the command's own process group kept running.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    it(`a host killed by ${signal} takes every process group it started with it, and still dies of ${signal}`, async () => {
      const marker = `${Math.floor(100 + Math.random() * 800)}.${process.pid}${Date.now() % 100000}`;
      const host = spawn(process.execPath, [path.join(FIXTURES, "host-mid-op.mjs"), marker, "wait"], {
        cwd: PACKAGE_DIR,
        stdio: ["ignore", "pipe", "inherit"],
      });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => host.on("exit", (_, s) => resolve(s)));
      await new Promise((resolve) => host.stdout.once("data", resolve)); // "ready"
      // The v1 sleep and the v2 provider, each in its own group.
      await eventually(
        () => processesWith(marker).length >= 2,
        10_000,
        "the command and the provider to run",
      );
      host.kill(signal);
      expect(await exited).toBe(signal);
      await eventually(
        () => processesWith(marker).length === 0,
        10_000,
        "every group the host started to be gone",
      );
    });
  }

  // Issue 13, defect 1: the host left before its op finished (the provider was unref'd) and exited 0.
  for (const [op, code] of [
    ["refused", 3],
    ["timeout", 3],
    ["absent", 1],
  ] as const) {
    it(`a host waiting on a v2 provider that ignores stdin EOF keeps its exit code (${op}: ${code})`, async () => {
      const dir = tempDir();
      const host = spawn(
        process.execPath,
        [path.join(FIXTURES, "exit-code.mjs"), dir, path.join(FIXTURES, "v2-fixture.mjs"), op],
        {
          cwd: PACKAGE_DIR,
          stdio: ["ignore", "ignore", "pipe"],
        },
      );
      let stderr = "";
      host.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const exitCode = await new Promise<number | null>((resolve) => host.on("exit", (c) => resolve(c)));
      expect(exitCode, stderr).toBe(code);
    });
  }
});
