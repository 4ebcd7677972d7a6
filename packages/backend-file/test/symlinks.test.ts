import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { StoreError } from "@store/core";
import { afterEach, describe, expect, it } from "vitest";
import { type FileTestManager, fileManager, listTree } from "./helpers";

/**
 * Issue 14, hole 1: links planted inside the data directory must not lead a read, a write or a delete
 * outside it. Each case plants a link to a directory outside the data directory, runs the operation
 * and checks that it is refused, naming the link, and that nothing outside changed.
 */

const managers: FileTestManager[] = [];
const outsides: string[] = [];
afterEach(async () => {
  for (const m of managers.splice(0).reverse()) await m.cleanup();
  for (const d of outsides.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function open(dataDir?: string) {
  const m = await fileManager(dataDir ? { dataDir } : {});
  managers.push(m);
  return m;
}

/** A directory outside the data directory, holding `files`. */
function outside(files: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wfstore-file-outside-"));
  outsides.push(dir);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

/** Every file under `dir` with its content: what "nothing outside changed" compares. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(listTree(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]));
}

async function refusal(op: Promise<unknown>, link: string): Promise<void> {
  const error = await op.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(StoreError.isInstance(error, "BACKEND_IO"), `expected BACKEND_IO, got ${String(error)}`).toBe(true);
  const message = (error as Error).message;
  expect(message).toMatch(/^file: /);
  expect(message).toContain(link);
  expect(message).toMatch(/symbolic link/);
}

describe("links planted inside the root", () => {
  it("get does not read a value file linked outside the root, and list ignores it", async () => {
    const away = outside({ "secret.json": '{"secret":"outside"}', "other.json": '"outside too"' });
    const t = await open();
    const s = t.manager.store("s");
    await s.put("a", 1);
    await s.put("b", 2);
    const dir = t.dir("s");
    // A new name linked out, and an entry's own file replaced by a link.
    fs.symlinkSync(path.join(away, "secret.json"), path.join(dir, "secret.json"));
    fs.rmSync(path.join(dir, "b.json"));
    fs.symlinkSync(path.join(away, "other.json"), path.join(dir, "b.json"));
    await refusal(s.get("secret"), path.join(dir, "secret.json"));
    await refusal(s.get("b"), path.join(dir, "b.json"));
    expect((await s.list()).map((e) => [e.key, e.value])).toEqual([["a", 1]]);
    expect(t.warnings.join("\n")).toMatch(/ignoring .*secret\.json: not a regular file \(a symbolic link\)/);
    // A fresh process, reading the directory from scratch, does not follow them either.
    const fresh = await open(t.dataDir);
    await refusal(fresh.manager.store("s").get("secret"), path.join(dir, "secret.json"));
    expect((await fresh.manager.store("s").list()).map((e) => e.key)).toEqual(["a"]);
    expect(snapshot(away)).toEqual({ "secret.json": '{"secret":"outside"}', "other.json": '"outside too"' });
  });

  it("a put does not append to an index log linked outside the root", async () => {
    const away = outside();
    const t = await open();
    await t.manager.store("s").put("a", 1);
    await t.manager.close();
    const log = path.join(t.dir("s"), ".meta", "index.jsonl");
    fs.renameSync(log, path.join(away, "index.jsonl"));
    fs.symlinkSync(path.join(away, "index.jsonl"), log);
    const before = snapshot(away);
    const again = await open(t.dataDir);
    await refusal(again.manager.store("s").put("b", 2), log);
    await refusal(again.manager.store("s").get("a"), log);
    expect(snapshot(away)).toEqual(before);
    expect(fs.existsSync(path.join(t.dir("s"), "b.json"))).toBe(false);
  });

  it("a store directory linked outside the root receives no writes", async () => {
    const away = outside();
    const t = await open();
    fs.mkdirSync(path.join(t.dataDir, "stores"), { recursive: true });
    fs.symlinkSync(away, path.join(t.dataDir, "stores", "s"));
    await refusal(t.manager.store("s").put("k", 1), path.join(t.dataDir, "stores", "s"));
    await refusal(t.manager.store("s", { project: "p" }).put("k", 1), path.join(t.dataDir, "stores", "s"));
    expect(listTree(away)).toEqual([]);
    expect(fs.readdirSync(away)).toEqual([]);
  });

  it("a project directory, the stores directory or .meta linked outside the root receive no writes", async () => {
    const t = await open();
    // A project directory.
    const awayProject = outside();
    fs.mkdirSync(path.join(t.dataDir, "stores", "s"), { recursive: true });
    fs.symlinkSync(awayProject, path.join(t.dataDir, "stores", "s", "p"));
    await refusal(
      t.manager.store("s", { project: "p" }).put("k", 1),
      path.join(t.dataDir, "stores", "s", "p"),
    );
    expect(fs.readdirSync(awayProject)).toEqual([]);
    // .meta of a store already in use, moved out and linked back.
    await t.manager.store("m").put("k", 1);
    await t.manager.close();
    const awayMeta = outside();
    const meta = path.join(t.dir("m"), ".meta");
    fs.renameSync(meta, path.join(awayMeta, "meta"));
    fs.symlinkSync(path.join(awayMeta, "meta"), meta);
    const before = snapshot(awayMeta);
    const again = await open(t.dataDir);
    await refusal(again.manager.store("m").put("k", 2), meta);
    expect(snapshot(awayMeta)).toEqual(before);
    expect(fs.readFileSync(path.join(t.dir("m"), "k.json"), "utf8")).toBe("1");
    // The stores directory itself, in a data directory of its own.
    const other = await open();
    const awayStores = outside();
    fs.symlinkSync(awayStores, path.join(other.dataDir, "stores"));
    await refusal(other.manager.store("s").put("k", 1), path.join(other.dataDir, "stores"));
    expect(fs.readdirSync(awayStores)).toEqual([]);
  });

  it("a delete through a linked trash directory removes nothing outside the root", async () => {
    const away = outside({ "victim.txt": "keep me", "12345-abcdef01-1": "keep me too" });
    const t = await open();
    const s = t.manager.store("s");
    await s.put("a", 1);
    await s.put("b", 2);
    await s.delete("b"); // makes .meta/trash
    await t.manager.close();
    const trash = path.join(t.dir("s"), ".meta", "trash");
    fs.rmSync(trash, { recursive: true, force: true });
    fs.symlinkSync(away, trash);
    const again = await open(t.dataDir);
    await refusal(again.manager.store("s").delete("a"), trash);
    await again.manager.close();
    expect(snapshot(away)).toEqual({ "victim.txt": "keep me", "12345-abcdef01-1": "keep me too" });
    expect(fs.readFileSync(path.join(t.dir("s"), "a.json"), "utf8")).toBe("1");
  });

  it("a long key's record is not written through a linked keys directory", async () => {
    const away = outside();
    const t = await open();
    await t.manager.store("s").put("a", 1);
    const keys = path.join(t.dir("s"), ".meta", "keys");
    fs.symlinkSync(away, keys);
    await refusal(t.manager.store("s").put("k".repeat(300), 1), keys);
    expect(fs.readdirSync(away)).toEqual([]);
  });
});
