import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { StoreError } from "@store/core";
import { afterEach, describe, expect, it } from "vitest";
import { type FileTestManager, fileManager, logLines } from "./helpers";

/**
 * A directory written by @store/backend-file 0.1.0 (index format 1: no versions), recorded with that
 * release's own code in test/fixtures/store-0.1.0.json: the value files, the long-key sidecar and the
 * index log, byte for byte.
 */
interface Fixture {
  store: string;
  files: Record<string, string>;
  keys: Record<string, string>;
  index: string[];
}
const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = JSON.parse(
  fs.readFileSync(path.join(here, "fixtures", "store-0.1.0.json"), "utf8"),
) as Fixture;

const managers: FileTestManager[] = [];
const dataDirs: string[] = [];
afterEach(async () => {
  for (const m of managers.splice(0).reverse()) await m.manager.close();
  for (const d of dataDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function open(dataDir: string) {
  const m = await fileManager({ dataDir });
  managers.push(m);
  return m;
}

/**
 * Lays the recorded directory out under a fresh data directory. A copy cannot keep the inodes the log
 * recorded, so the `ino` of each key's last put line is set to its copy's (and the file's mtime to the
 * recorded one): the log is otherwise exactly what 0.1.0 wrote.
 */
function restoreFixture(lines = fixture.index): string {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "wfstore-file-legacy-"));
  dataDirs.push(dataDir);
  const dir = path.join(dataDir, "stores", fixture.store, "_default");
  fs.mkdirSync(path.join(dir, ".meta", "keys"), { recursive: true });
  for (const [name, text] of Object.entries(fixture.files)) fs.writeFileSync(path.join(dir, name), text);
  for (const [name, key] of Object.entries(fixture.keys))
    fs.writeFileSync(path.join(dir, ".meta", "keys", name), key);
  const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const lastPut = new Map<string, number>();
  records.forEach((r, i) => {
    if (typeof r.key === "string") {
      if (r.deleted) lastPut.delete(r.key);
      else lastPut.set(r.key, i);
    }
  });
  const patched = [...lines];
  for (const [key, i] of lastPut) {
    const r = records[i] as { mtime: number; ino: number };
    const name = Object.keys(fixture.files).find((n) => n === fileNameFor(key));
    if (!name) throw new Error(`the fixture has no file for ${key}`);
    const file = path.join(dir, name);
    fs.utimesSync(file, r.mtime / 1000, r.mtime / 1000);
    patched[i] = (lines[i] as string).replace(`"ino":${r.ino}`, `"ino":${fs.statSync(file).ino}`);
  }
  fs.writeFileSync(path.join(dir, ".meta", "index.jsonl"), `${patched.join("\n")}\n`);
  return dataDir;
}

/** The fixture's own file names, by key (long ones from the sidecars). */
function fileNameFor(key: string): string | undefined {
  const long = Object.entries(fixture.keys).find(([, k]) => k === key);
  if (long) return long[0];
  return {
    plan: "plan.json",
    lessons: "lessons.json",
    "Mixed Case/key": "Mixed Case%2fkey~12.json",
    reborn: "reborn.json",
  }[key];
}

const LONG_KEY = `long-${"x".repeat(300)}`;

describe("a store written by 0.1.0 (index format 1, without versions)", () => {
  it("loads with its metadata, and each entry's version is replayed from its log", async () => {
    const dataDir = restoreFixture();
    const t = await open(dataDir);
    const s = t.manager.store("notes");
    // Versions as this release would have given them: one per put line of the key since it last
    // appeared; a key deleted and put again starts above the highest version removed (the floor).
    expect(await s.list()).toEqual([
      {
        key: LONG_KEY,
        value: { long: true },
        createdAt: "2026-01-01T00:00:09.000Z",
        updatedAt: "2026-01-01T00:00:09.000Z",
        taskId: "t6",
        version: 4, // a new key, put after the floor rose to 3
      },
      {
        key: "reborn",
        value: "second",
        createdAt: "2026-01-01T00:00:08.000Z",
        updatedAt: "2026-01-01T00:00:08.000Z",
        taskId: "t5",
        version: 4, // put as 3 above the floor 2 ("gone" was removed at 2), deleted, put again
      },
      {
        key: "Mixed Case/key",
        value: "v",
        createdAt: "2026-01-01T00:00:04.000Z",
        updatedAt: "2026-01-01T00:00:04.000Z",
        taskId: "t2",
        version: 1,
      },
      {
        key: "lessons",
        value: ["check the disk"],
        createdAt: "2026-01-01T00:00:03.000Z",
        updatedAt: "2026-01-01T00:00:03.000Z",
        taskId: "t1",
        version: 1,
      },
      {
        key: "plan",
        value: { step: 3 },
        createdAt: "2026-01-01T00:00:00.000Z",
        updatedAt: "2026-01-01T00:00:02.000Z",
        taskId: "reviewer",
        version: 3,
      },
    ]);
    expect(t.warnings).toEqual([]);
  });

  it("takes conditional writes on the replayed versions, and writes format 2 lines after the old ones", async () => {
    const dataDir = restoreFixture();
    const t = await open(dataDir);
    const s = t.manager.store("notes");
    expect((await s.put("plan", { step: 4 }, { ifVersion: 3 })).version).toBe(4);
    const stale = await s.put("plan", { step: "stale" }, { ifVersion: 3 }).catch((e: unknown) => e);
    expect(StoreError.isInstance(stale, "CONFLICT")).toBe(true);
    // "gone" (removed at version 2) and "reborn" (removed at 3) raised the floor to 3.
    expect((await s.put("gone", "back", { ifAbsent: true })).version).toBe(4);
    const lines = logLines(t.dir("notes")).map((l) => JSON.parse(l));
    expect(lines.slice(0, fixture.index.length).every((l) => l.version === undefined)).toBe(true);
    expect(lines.slice(fixture.index.length).filter((l) => l.key)).toEqual([
      expect.objectContaining({ key: "plan", version: 4 }),
      expect.objectContaining({ key: "gone", version: 4 }),
    ]);
    // Another process replays the mixed log to the same versions.
    const other = await open(dataDir);
    const o = other.manager.store("notes");
    expect((await o.getEntry("plan"))?.version).toBe(4);
    expect((await o.getEntry("reborn"))?.version).toBe(4);
    expect((await o.getEntry("lessons"))?.version).toBe(1);
    expect(await o.get("plan")).toEqual({ step: 4 });
  });

  it("refuses a log of a newer format, naming it, and changes nothing", async () => {
    const newer = fixture.index.map((l, i) =>
      i === 0 ? l.replace('"wfstore_file_index":1', '"wfstore_file_index":3') : l,
    );
    const dataDir = restoreFixture(newer);
    const log = path.join(dataDir, "stores", "notes", "_default", ".meta", "index.jsonl");
    const before = fs.readFileSync(log, "utf8");
    const t = await open(dataDir);
    const error = await t.manager
      .store("notes")
      .put("plan", 1)
      .catch((e: unknown) => e);
    expect(StoreError.isInstance(error, "BACKEND_IO")).toBe(true);
    expect((error as Error).message).toMatch(
      /index\.jsonl is in index format 3, written by a newer @store\/backend-file/,
    );
    expect(fs.readFileSync(log, "utf8")).toBe(before);
  });
});
