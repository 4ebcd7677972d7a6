import { execFile } from "node:child_process";
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
      expect(fs.readdirSync(path.join(dir, "data", "lessons", "p-demo")).sort()).toEqual(["kb", "kc"]);
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

  it("a v1 command still running when the host exits is killed with it", async () => {
    const marker = `${Math.floor(100 + Math.random() * 800)}.${process.pid}${Date.now() % 100000}`;
    await run(process.execPath, [path.join(FIXTURES, "exit-mid-op.mjs"), marker], {
      cwd: PACKAGE_DIR,
      timeout: 30_000,
    });
    await eventually(() => processesWith(marker).length === 0, 5000, "the orphaned command to be gone");
  });
});
