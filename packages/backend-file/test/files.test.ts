import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type JsonValue, StoreError, StoreManager } from "@store/core";
import { HOSTILE_KEYS } from "@store/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { fileBackend, fileNameOf } from "../src/index";
import { type FileTestManager, fileManager, listTree, logLines, valueFiles } from "./helpers";

let t: FileTestManager | undefined;
afterEach(async () => {
  await t?.cleanup();
  t = undefined;
});

describe("files people can read", () => {
  it("the file of key bench_001 is bench_001.json and holds exactly the value", async () => {
    t = await fileManager();
    const s = t.manager.store("file_store");
    await s.put("bench_001", { test_count: 42, passed: true });
    await s.put("key1", { data: "hello" }, { taskId: "task-7" });
    const dir = t.dir("file_store");
    expect(fs.readFileSync(path.join(dir, "bench_001.json"), "utf8")).toBe('{"test_count":42,"passed":true}');
    expect(fs.readFileSync(path.join(dir, "key1.json"), "utf8")).toBe('{"data":"hello"}');
    expect(valueFiles(dir)).toEqual(["bench_001.json", "key1.json"]);
    // Values of every JSON type, byte for byte as core serialized them.
    for (const [key, value] of [
      ["null", null],
      ["str", 'text with "quotes" and \u00e9'],
      ["num", -1.5e-7],
      ["arr", [1, [2, {}]]],
    ] as [string, JsonValue][]) {
      await s.put(key, value);
      expect(fs.readFileSync(path.join(dir, `${key}.json`), "utf8")).toBe(JSON.stringify(value));
    }
  });

  it("lays stores out as <data dir>/<base_path or stores>/<store>/<project or _default>", async () => {
    t = await fileManager({ stores: [{ name: "placed", basePath: "custom/place" }] });
    await t.manager.store("plain").put("k", 1);
    await t.manager.store("plain", { project: "proj-1" }).put("k", 2);
    await t.manager.store("placed").put("k", 3);
    await t.manager.store("placed", { project: "p2" }).put("k", 4);
    const files = listTree(t.dataDir).filter((f) => !f.includes(".meta"));
    expect(files).toEqual([
      "custom/place/placed/_default/k.json",
      "custom/place/placed/p2/k.json",
      "stores/plain/_default/k.json",
      "stores/plain/proj-1/k.json",
    ]);
    expect(await t.manager.store("plain", { project: "proj-1" }).get("k")).toBe(2);
    expect(await t.manager.store("placed", { project: "p2" }).get("k")).toBe(4);
  });

  it("puts a store under `root` when given one", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "wfstore-file-root-"));
    try {
      t = await fileManager({ backend: { root } });
      await t.manager.store("s").put("k", "v");
      expect(fs.readFileSync(path.join(root, "stores", "s", "_default", "k.json"), "utf8")).toBe('"v"');
      expect(fs.existsSync(path.join(t.dataDir, "stores"))).toBe(false);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it("resolves a relative `root` against the data directory", async () => {
    t = await fileManager({ backend: { root: "elsewhere/files" } });
    await t.manager.store("s").put("k", "v");
    expect(
      fs.readFileSync(
        path.join(t.dataDir, "elsewhere", "files", "stores", "s", "_default", "k.json"),
        "utf8",
      ),
    ).toBe('"v"');
  });

  it("keeps every hostile key in its own file inside the store directory (the whole tree listed)", async () => {
    t = await fileManager();
    const s = t.manager.store("s");
    for (const [i, key] of HOSTILE_KEYS.entries()) await s.put(key, { i });
    const dir = t.dir("s");
    const tree = listTree(t.dataDir);
    const prefix = `stores${path.sep}s${path.sep}_default${path.sep}`;
    for (const f of tree) expect(f.startsWith(prefix), f).toBe(true);
    const values = tree.filter((f) => !f.slice(prefix.length).startsWith("."));
    expect(values).toHaveLength(HOSTILE_KEYS.length);
    for (const f of values) {
      const name = f.slice(prefix.length);
      expect(name.includes(path.sep), name).toBe(false);
      expect(Buffer.byteLength(name), name).toBeLessThanOrEqual(255);
      expect(name.endsWith(".json"), name).toBe(true);
    }
    for (const [i, key] of HOSTILE_KEYS.entries()) {
      expect(JSON.parse(fs.readFileSync(path.join(dir, fileNameOf(key)), "utf8"))).toEqual({ i });
    }
    // Internal files live only under .meta: the index, owner files, long keys' names.
    const internal = tree.filter((f) => f.slice(prefix.length).startsWith("."));
    for (const f of internal) expect(f.startsWith(`${prefix}.meta${path.sep}`), f).toBe(true);
  });

  it("stamps each file's mtime with its updated_at, so `ls -t` shows list order", async () => {
    t = await fileManager();
    const s = t.manager.store("s");
    await s.put("old", 1);
    t.clock.advance(60_000);
    await s.put("new", 2);
    const dir = t.dir("s");
    const mtime = (name: string) => Math.round(fs.statSync(path.join(dir, name)).mtimeMs);
    expect(new Date(mtime("old.json")).toISOString()).toBe((await s.getEntry("old"))?.updatedAt);
    expect(new Date(mtime("new.json")).toISOString()).toBe("2026-01-01T00:01:00.000Z");
  });

  it("never lists temp files and sweeps those a killed writer left", async () => {
    t = await fileManager();
    const s = t.manager.store("s");
    await s.put("a", 1);
    const meta = path.join(t.dir("s"), ".meta");
    fs.writeFileSync(path.join(meta, "tmp-999999-deadbeef-1"), '{"half": ');
    fs.writeFileSync(path.join(t.dir("s"), ".tmp-999999-deadbeef-3"), '{"half": ');
    fs.writeFileSync(path.join(meta, "owner-999999-abcdef123456"), "{}");
    fs.mkdirSync(path.join(meta, "trash"), { recursive: true });
    fs.writeFileSync(path.join(meta, "trash", "999999-deadbeef-2"), "1");
    await t.manager.close();
    const again = await fileManager({ dataDir: t.dataDir });
    try {
      const s2 = again.manager.store("s");
      expect((await s2.list()).map((e) => e.key)).toEqual(["a"]);
      await s2.put("b", 2);
      expect(fs.existsSync(path.join(meta, "tmp-999999-deadbeef-1"))).toBe(false);
      expect(fs.existsSync(path.join(t.dir("s"), ".tmp-999999-deadbeef-3"))).toBe(false);
      expect(fs.existsSync(path.join(meta, "owner-999999-abcdef123456"))).toBe(false);
      await again.manager.close();
      expect(fs.readdirSync(path.join(meta, "trash"))).toEqual([]);
      expect(
        fs.readdirSync(meta).filter((n) => n.startsWith("tmp-") || n.startsWith("owner-") || n === "lock"),
      ).toEqual([]);
    } finally {
      await again.cleanup();
    }
  });

  it("removes files on delete and prune, and the log records each change", async () => {
    t = await fileManager();
    const s = t.manager.store("s");
    for (let i = 0; i < 5; i++) {
      await s.put(`k${i}`, i, { taskId: `t${i}` });
      t.clock.advance(1000);
    }
    expect(await s.delete("k0")).toBe(true);
    expect(await s.delete("k0")).toBe(false);
    expect(await s.prune({ maxEntries: 2 })).toBe(2);
    const dir = t.dir("s");
    expect(valueFiles(dir)).toEqual(["k3.json", "k4.json"]);
    const lines = logLines(dir).map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ wfstore_file_index: 2, store: "s", project: "", floor: 0 });
    expect(lines[1]).toMatchObject({
      key: "k0",
      version: 1,
      task_id: "t0",
      updated_at: "2026-01-01T00:00:00.000Z",
    });
    // A delete line records the version it removed: that is how the floor survives a restart.
    expect(lines.filter((l) => l.deleted).map((l) => [l.key, l.version])).toEqual([
      ["k0", 1],
      ["k1", 1],
      ["k2", 1],
    ]);
  });

  it("retention on put removes the oldest files beyond max_entries", async () => {
    t = await fileManager({ stores: [{ name: "capped", retention: { maxEntries: 3 } }] });
    const s = t.manager.store("capped");
    for (let i = 0; i < 6; i++) {
      await s.put(`k${i}`, i);
      t.clock.advance(1);
      expect(valueFiles(t.dir("capped")).length).toBe(Math.min(i + 1, 3));
    }
    expect(valueFiles(t.dir("capped"))).toEqual(["k3.json", "k4.json", "k5.json"]);
  });
});

describe("options and paths", () => {
  it("rejects unknown or ill-typed options, naming them", async () => {
    for (const options of [{ fsync: "sometimes" }, { fsyncc: "always" }, { lockStaleMs: -1 }]) {
      const bad = await fileManager({ backend: options as never });
      try {
        const error = await bad.manager
          .store("s")
          .put("k", 1)
          .catch((e: unknown) => e);
        expect(StoreError.isInstance(error, "INVALID_MANIFEST"), String(error)).toBe(true);
      } finally {
        await bad.cleanup();
      }
    }
  });

  it("accepts snake_case option names as in manifests", async () => {
    t = await fileManager({ backend: { lock_stale_ms: 5000, fsync: "never" } as never });
    await t.manager.store("s").put("k", 1);
    expect(await t.manager.store("s").get("k")).toBe(1);
  });

  it("refuses a base path that leads outside the data directory, even if core let it through", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "wfstore-file-escape-"));
    const instance = await fileBackend.create(
      {},
      { dataDir, baseDir: dataDir, providerName: "file", now: Date.now, warn: () => {} },
    );
    try {
      const record = { key: "k", value: 1, json: "1", taskId: "", updatedAt: new Date().toISOString() };
      for (const basePath of ["..", "../elsewhere", "a/../../b", "/etc"]) {
        const error = await Promise.resolve(
          instance.put({ store: "s", project: "", basePath }, record, {}),
        ).catch((e: unknown) => e);
        expect(StoreError.isInstance(error, "INVALID_ARGUMENT"), `${basePath}: ${error}`).toBe(true);
        expect((error as Error).message).toMatch(/^file: /);
      }
      for (const store of ["..", "a/b"]) {
        const error = await Promise.resolve(instance.put({ store, project: "" }, record, {})).catch(
          (e: unknown) => e,
        );
        expect(StoreError.isInstance(error, "INVALID_ARGUMENT"), store).toBe(true);
      }
      expect(fs.readdirSync(path.dirname(dataDir)).filter((n) => n === "elsewhere" || n === "b")).toEqual([]);
      await instance.put({ store: "s", project: "", basePath: "." }, record, {});
      expect(fs.existsSync(path.join(dataDir, "s", "_default", "k.json"))).toBe(true);
    } finally {
      await instance.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("works with core alone through the builtin `file` provider", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "wfstore-file-builtin-"));
    const manager = new StoreManager({ dataDir, backends: [fileBackend], defaultProvider: "file" });
    try {
      await manager.store("s").put("k", { ok: true });
      expect(fs.readFileSync(path.join(dataDir, "stores", "s", "_default", "k.json"), "utf8")).toBe(
        '{"ok":true}',
      );
    } finally {
      await manager.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("reports I/O failures as BACKEND_IO naming the backend, store and key, with the cause", async () => {
    t = await fileManager();
    const s = t.manager.store("s");
    await s.put("k", 1);
    // A directory where the value file should be: the rename cannot replace it.
    fs.mkdirSync(path.join(t.dir("s"), "blocked.json"));
    const error = await s.put("blocked", 1).catch((e: unknown) => e);
    expect(StoreError.isInstance(error, "BACKEND_IO")).toBe(true);
    expect((error as Error).message).toMatch(/^file: put of key "blocked" in store "s" failed: /);
    expect((error as Error).cause).toBeDefined();
    // Nothing half-done is left behind, and the store still works.
    expect(fs.readdirSync(t.dir("s")).filter((n) => n.startsWith(".tmp-"))).toEqual([]);
    await s.put("k", 2);
    expect(await s.get("k")).toBe(2);
  });
});
