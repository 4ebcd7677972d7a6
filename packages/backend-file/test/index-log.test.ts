import fs from "node:fs";
import path from "node:path";
import { StoreError } from "@store/core";
import { afterEach, describe, expect, it } from "vitest";
import { fileNameOf } from "../src/index";
import { type FileTestManager, fileManager, logLines, valueFiles } from "./helpers";

const managers: FileTestManager[] = [];
async function open(options: Parameters<typeof fileManager>[0] = {}) {
  const m = await fileManager(options);
  managers.push(m);
  return m;
}
afterEach(async () => {
  // The first one made the data dir; the others share it and leave it.
  for (const m of managers.splice(0).reverse()) await m.cleanup();
});

const setMtime = (file: string, iso: string) => fs.utimesSync(file, new Date(iso), new Date(iso));

describe("hand edits: the files are the truth for values", () => {
  it("a value edited by hand is read back, with updated_at = the file's mtime and no task id", async () => {
    const t = await open();
    const s = t.manager.store("s");
    await s.put("a", { v: 1 }, { taskId: "t1" });
    t.clock.advance(1000);
    await s.put("b", { v: 2 }, { taskId: "t2" });
    const file = path.join(t.dir("s"), "a.json");
    fs.writeFileSync(file, '{"v": "edited"}');
    setMtime(file, "2026-02-01T10:00:00.250Z");
    expect(await s.getEntry("a")).toEqual({
      key: "a",
      value: { v: "edited" },
      createdAt: "2026-01-01T00:00:00.000Z",
      updatedAt: "2026-02-01T10:00:00.250Z",
      taskId: "",
      version: 2, // someone wrote it: a new version
    });
    // Now the newest, so first in list order, in this and in a fresh process.
    expect((await s.list()).map((e) => e.key)).toEqual(["a", "b"]);
    const other = await open({ dataDir: t.dataDir });
    expect((await other.manager.store("s").list()).map((e) => [e.key, e.updatedAt, e.taskId])).toEqual([
      ["a", "2026-02-01T10:00:00.250Z", ""],
      ["b", "2026-01-01T00:00:01.000Z", "t2"],
    ]);
  });

  it("an edit is noticed by list too (same size, new mtime)", async () => {
    const t = await open();
    const s = t.manager.store("s");
    await s.put("a", "x1", { taskId: "t" });
    const file = path.join(t.dir("s"), "a.json");
    fs.writeFileSync(file, '"x2"');
    setMtime(file, "2026-03-01T00:00:00.000Z");
    expect(await s.list()).toEqual([
      {
        key: "a",
        value: "x2",
        createdAt: "2026-01-01T00:00:00.000Z",
        updatedAt: "2026-03-01T00:00:00.000Z",
        taskId: "",
        version: 2,
      },
    ]);
  });

  it("a file deleted by hand is gone from get, list and prune counts", async () => {
    const t = await open();
    const s = t.manager.store("s");
    for (const k of ["a", "b", "c"]) {
      await s.put(k, k);
      t.clock.advance(1);
    }
    fs.unlinkSync(path.join(t.dir("s"), "b.json"));
    expect(await s.get("b")).toBeUndefined();
    expect((await s.list()).map((e) => e.key)).toEqual(["c", "a"]);
    expect(await s.delete("b")).toBe(false);
    expect(await s.prune({ maxEntries: 1 })).toBe(1);
    expect(valueFiles(t.dir("s"))).toEqual(["c.json"]);
  });

  it("a file added by hand becomes an entry; files that are not entries are left alone", async () => {
    const t = await open();
    const s = t.manager.store("s");
    await s.put("a", 1);
    const dir = t.dir("s");
    fs.writeFileSync(path.join(dir, "dropped.json"), '{"by": "hand"}');
    setMtime(path.join(dir, "dropped.json"), "2026-05-05T05:05:05.005Z");
    fs.writeFileSync(path.join(dir, "Hello.json"), "{}"); // "Hello" would be Hello~1.json
    fs.writeFileSync(path.join(dir, "notes.txt"), "not json");
    expect(await s.list()).toEqual([
      {
        key: "dropped",
        value: { by: "hand" },
        createdAt: "2026-05-05T05:05:05.005Z",
        updatedAt: "2026-05-05T05:05:05.005Z",
        taskId: "",
        version: 1,
      },
      expect.objectContaining({ key: "a" }),
    ]);
    expect(t.warnings.join("\n")).toMatch(
      /ignoring .*Hello\.json: not the file name of a key \(the key "hello" is stored as hello\.json\)/,
    );
    expect(t.warnings.join("\n")).toMatch(/ignoring .*notes\.txt/);
    expect(await s.get("dropped")).toEqual({ by: "hand" });
    expect(fs.existsSync(path.join(dir, "notes.txt"))).toBe(true);
    // A file dropped in is found by get even before anything looks at the directory.
    fs.writeFileSync(path.join(dir, "direct.json"), "[1]");
    expect(await s.getEntry("direct")).toMatchObject({ key: "direct", value: [1], taskId: "" });
  });

  it("a file renamed by hand moves the entry to its new key", async () => {
    const t = await open();
    const s = t.manager.store("s");
    await s.put("before", { n: 1 }, { taskId: "t" });
    fs.renameSync(path.join(t.dir("s"), "before.json"), path.join(t.dir("s"), fileNameOf("After")));
    expect((await s.list()).map((e) => [e.key, e.value])).toEqual([["After", { n: 1 }]]);
    expect(await s.get("before")).toBeUndefined();
  });

  it("a file made unreadable by hand is reported, naming it", async () => {
    const t = await open();
    const s = t.manager.store("s");
    await s.put("a", 1);
    fs.writeFileSync(path.join(t.dir("s"), "a.json"), "{broken");
    const error = await s.get("a").catch((e: unknown) => e);
    expect(StoreError.isInstance(error, "BACKEND_IO")).toBe(true);
    expect((error as Error).message).toMatch(/a\.json of key "a" does not hold JSON/);
  });
});

describe("the index log", () => {
  it("is rebuilt from the files when deleted, keeping updated_at (file mtimes) and long keys", async () => {
    const t = await open();
    const s = t.manager.store("s");
    const long = `${"k/".repeat(200)}end`;
    await s.put("a", 1, { taskId: "t1" });
    t.clock.advance(1500);
    await s.put(long, 2, { taskId: "t2" });
    t.clock.advance(1500);
    await s.put("Mixed Case", 3);
    const before = await s.list();
    await t.manager.close();
    fs.rmSync(path.join(t.dir("s"), ".meta", "index.jsonl"));
    const again = await open({ dataDir: t.dataDir });
    const after = await again.manager.store("s").list();
    const withoutVersion = <T extends { version: number }>(e: T) => ({ ...e, version: 0 });
    expect(after.map(withoutVersion)).toEqual(
      before.map((e) => withoutVersion({ ...e, createdAt: e.updatedAt, taskId: "" })),
    );
    // The versions of the lost log are unknown: the rebuilt ones start above all of them.
    const highest = Math.max(...before.map((e) => e.version));
    for (const e of after) expect(e.version).toBeGreaterThan(highest);
    expect(again.warnings.join("\n")).toMatch(/rebuilt the index .* from its 3 file\(s\)/);
    expect(logLines(again.dir("s"))).toHaveLength(4);
  });

  it("without .meta at all, ignores long-named files it cannot name, and says so", async () => {
    const t = await open();
    const s = t.manager.store("s");
    const long = "x".repeat(400);
    await s.put(long, 1);
    await s.put("short", 2);
    await t.manager.close();
    fs.rmSync(path.join(t.dir("s"), ".meta"), { recursive: true });
    const again = await open({ dataDir: t.dataDir });
    expect((await again.manager.store("s").list()).map((e) => e.key)).toEqual(["short"]);
    expect(again.warnings.join("\n")).toMatch(/its key is not recorded/);
  });

  it("survives a torn last line and a garbage line, and closes the torn line before appending", async () => {
    const t = await open();
    const s = t.manager.store("s");
    await s.put("a", 1, { taskId: "ta" });
    t.clock.advance(1);
    await s.put("b", 2, { taskId: "tb" });
    await t.manager.close();
    const log = path.join(t.dir("s"), ".meta", "index.jsonl");
    const lines = fs.readFileSync(log, "utf8").split("\n");
    lines.splice(2, 0, "\u0000\u0000garbage");
    fs.writeFileSync(log, `${lines.join("\n")}{"key":"c","updated_`);
    const again = await open({ dataDir: t.dataDir });
    const s2 = again.manager.store("s");
    expect((await s2.list()).map((e) => [e.key, e.taskId])).toEqual([
      ["b", "tb"],
      ["a", "ta"],
    ]);
    again.clock.advance(10);
    await s2.put("c", 3, { taskId: "tc" });
    const text = fs.readFileSync(log, "utf8");
    expect(text.endsWith("\n")).toBe(true);
    // The torn line was closed off by the first locked operation; later lines start clean.
    expect(text).toContain('{"key":"c","updated_\n{');
    expect(JSON.parse(text.trimEnd().split("\n").at(-1) as string)).toMatchObject({
      key: "c",
      task_id: "tc",
    });
    const third = await open({ dataDir: t.dataDir });
    expect((await third.manager.store("s").list()).map((e) => [e.key, e.taskId])).toEqual([
      ["c", "tc"],
      ["b", "tb"],
      ["a", "ta"],
    ]);
  });

  it("is compacted once mostly superseded, and other instances follow the new file", async () => {
    const t = await open({ backend: { fsync: "never" } });
    const other = await open({ dataDir: t.dataDir, backend: { fsync: "never" } });
    const s = t.manager.store("s");
    const o = other.manager.store("s");
    await s.put("keep", "k", { taskId: "tk" });
    t.clock.advance(1);
    await s.put("hot", 0, { taskId: "t0" });
    expect(await o.get("keep")).toBe("k"); // `other` has read the log
    // A long history of puts to one key, as 10,050 log lines (written here directly, for speed).
    const log = path.join(t.dir("s"), ".meta", "index.jsonl");
    const hotLine = `${logLines(t.dir("s")).at(-1)}\n`;
    fs.appendFileSync(log, hotLine.repeat(10_050));
    t.clock.advance(1);
    await s.put("hot", 1, { taskId: "t1" });
    const lines = logLines(t.dir("s"));
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ wfstore_file_index: 2 });
    expect(await o.getEntry("hot")).toMatchObject({ value: 1, taskId: "t1" });
    expect((await o.list()).map((e) => [e.key, e.value, e.taskId])).toEqual([
      ["hot", 1, "t1"],
      ["keep", "k", "tk"],
    ]);
    other.clock.set(t.clock.now() + 1);
    await o.put("later", 2);
    expect((await s.list()).map((e) => e.key)).toEqual(["later", "hot", "keep"]);
  });

  it("refuses a directory that another store's name (differing in case) already uses", async () => {
    const t = await open();
    await t.manager.store("foo").put("k", 1);
    const log = path.join(t.dir("foo"), ".meta", "index.jsonl");
    // What a case-insensitive filesystem would show store "Foo": the index of "foo".
    const text = fs.readFileSync(log, "utf8").replace('"store":"foo"', '"store":"Foo"');
    fs.writeFileSync(log, text);
    const again = await open({ dataDir: t.dataDir });
    const error = await again.manager
      .store("foo")
      .get("k")
      .catch((e: unknown) => e);
    expect(StoreError.isInstance(error, "BACKEND_IO")).toBe(true);
    expect((error as Error).message).toMatch(/already holds store "Foo".*case-insensitive/);
  });
});

describe("a store directory removed by hand", () => {
  it("reads as empty, and the next put starts it again", async () => {
    const t = await open();
    const s = t.manager.store("s");
    await s.put("a", 1);
    fs.rmSync(t.dir("s"), { recursive: true });
    expect(await s.get("a")).toBeUndefined();
    expect(await s.list()).toEqual([]);
    expect(await s.delete("a")).toBe(false);
    await s.put("b", 2);
    expect((await s.list()).map((e) => e.key)).toEqual(["b"]);
    expect(valueFiles(t.dir("s"))).toEqual(["b.json"]);
    const other = await open({ dataDir: t.dataDir });
    expect((await other.manager.store("s").list()).map((e) => e.key)).toEqual(["b"]);
  });
});

describe("two instances on one directory (as two processes)", () => {
  it("see each other's puts, deletes and prunes", async () => {
    const a = await open();
    const b = await open({ dataDir: a.dataDir });
    const sa = a.manager.store("s");
    const sb = b.manager.store("s");
    await sa.put("x", 1, { taskId: "from-a" });
    expect(await sb.getEntry("x")).toMatchObject({ value: 1, taskId: "from-a" });
    a.clock.advance(10);
    b.clock.advance(20);
    await sb.put("x", 2, { taskId: "from-b" });
    await sb.put("y", 3);
    expect(await sa.getEntry("x")).toMatchObject({
      value: 2,
      taskId: "from-b",
      createdAt: "2026-01-01T00:00:00.000Z",
    });
    expect((await sa.list()).map((e) => e.key)).toEqual(["x", "y"]);
    expect(await sa.delete("y")).toBe(true);
    expect(await sb.get("y")).toBeUndefined();
    expect((await sb.list()).map((e) => e.key)).toEqual(["x"]);
    await sb.put("z", 4);
    expect(await sa.prune({ maxEntries: 1 })).toBe(1);
    expect((await sb.list()).map((e) => e.key)).toEqual(["x"]);
  });

  it("pages with a cursor across writes from the other instance", async () => {
    const a = await open();
    const b = await open({ dataDir: a.dataDir });
    for (let i = 0; i < 10; i++) {
      await a.manager.store("s").put(`k${i}`, i);
      a.clock.advance(1);
    }
    const first = await b.manager.store("s").listPage({ limit: 4 });
    expect(first.entries.map((e) => e.key)).toEqual(["k9", "k8", "k7", "k6"]);
    await a.manager.store("s").put("k0", "moved to the top");
    const second = await b.manager.store("s").listPage({ limit: 4, cursor: first.nextCursor });
    expect(second.entries.map((e) => e.key)).toEqual(["k5", "k4", "k3", "k2"]);
  });
});
