import fs from "node:fs";
import path from "node:path";
import type { StoreManager } from "@store/core";
import { afterAll, describe, expect, it } from "vitest";
import { managerOn, withManager } from "./support/stores";
import { makeTarget, type Target, tempDir } from "./support/targets";

/**
 * Issue 14, faults (hole 1 from the outside): symbolic links planted in the file backend's
 * directories. Each operation through them is refused with BACKEND_IO naming the link, nothing
 * outside the data directory is read, written or removed, and once the link is replaced by what was
 * there, the same manager works again. packages/backend-file/test/symlinks.test.ts covers the
 * backend's side in detail; this runs through the public StoreManager only.
 */
const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const LONG_KEY = `long-${"k".repeat(400)}`;
const KEYS = ["a", "b", "c", LONG_KEY];

interface Planted {
  /** The path a link replaces (moved aside while the link is there). */
  at: string;
  /** The operation that must be refused. */
  op: (m: StoreManager) => Promise<unknown>;
}

/** Where the cases plant links, relative to a store's project directory. */
const CASES: Array<[string, (dir: string, dataDir: string) => Planted]> = [
  ["a value file (get)", (dir) => ({ at: path.join(dir, "b.json"), op: (m) => m.store("s").get("b") })],
  [
    "the index log (put)",
    (dir) => ({ at: path.join(dir, ".meta", "index.jsonl"), op: (m) => m.store("s").put("d", 4) }),
  ],
  ["the project directory (put)", (dir) => ({ at: dir, op: (m) => m.store("s").put("d", 4) })],
  ["the store directory (get)", (dir) => ({ at: path.dirname(dir), op: (m) => m.store("s").get("a") })],
  [
    "the stores directory (list)",
    (dir) => ({ at: path.dirname(path.dirname(dir)), op: (m) => m.store("s").list() }),
  ],
  [
    "the .meta directory (put)",
    (dir) => ({ at: path.join(dir, ".meta"), op: (m) => m.store("s").put("d", 4) }),
  ],
  [
    "the trash directory (delete)",
    (dir) => ({ at: path.join(dir, ".meta", "trash"), op: (m) => m.store("s").delete("a") }),
  ],
  [
    "the long-keys directory (put of a long key)",
    (dir) => ({
      at: path.join(dir, ".meta", "keys"),
      op: (m) => m.store("s").put(`${LONG_KEY}-2`, 5),
    }),
  ],
];

/** Every file below `dir` with its content. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile())
      out[path.relative(dir, path.join(e.parentPath, e.name))] = fs.readFileSync(
        path.join(e.parentPath, e.name),
        "utf8",
      );
  }
  return out;
}

async function populated(): Promise<Target> {
  const t = makeTarget("file");
  cleanups.push(() => t.cleanup());
  await withManager(t, async (m) => {
    for (const [i, key] of KEYS.entries()) await m.store("s").put(key, { i });
    await m.store("s").delete("c"); // the trash has been used
  });
  return t;
}

describe("symbolic links planted in the file backend's directories", () => {
  it.each(CASES)(
    "%s: BACKEND_IO naming the link, nothing outside touched, works again once it is gone",
    async (_, plant) => {
      const t = await populated();
      const dir = path.join(t.dataDir, "stores", "s", "_default");
      const { at, op } = plant(dir, t.dataDir);
      // The link points at a copy of what it replaces, outside the data directory: a backend that
      // followed it would read or change the copy.
      const away = tempDir("outside");
      cleanups.push(() => fs.rmSync(away, { recursive: true, force: true }));
      const target = path.join(away, path.basename(at));
      fs.cpSync(at, target, { recursive: true });
      const aside = `${at}.aside`;
      fs.renameSync(at, aside);
      fs.symlinkSync(target, at);
      const before = snapshot(away);
      const m = managerOn(t);
      try {
        let error: { code?: string; message?: string } = {};
        try {
          await op(m);
        } catch (e) {
          error = e as typeof error;
        }
        const refused = {
          code: error.code,
          namesLink: (error.message ?? "").startsWith("file: ") && (error.message ?? "").includes(at),
          outside: snapshot(away),
        };
        fs.rmSync(at);
        fs.renameSync(aside, at);
        const s = m.store("s");
        await s.put("after", { ok: true });
        const values = Object.fromEntries((await s.list({ limit: 100 })).map((e) => [e.key, e.value]));
        expect({ refused, values }).toEqual({
          refused: { code: "BACKEND_IO", namesLink: true, outside: before },
          values: { a: { i: 0 }, b: { i: 1 }, [LONG_KEY]: { i: 3 }, after: { ok: true } },
        });
      } finally {
        await m.close();
      }
    },
  );

  it("a value file linked outside: a put replaces the link, never what it points to", async () => {
    const t = await populated();
    const file = path.join(t.dataDir, "stores", "s", "_default", "b.json");
    const away = tempDir("outside");
    cleanups.push(() => fs.rmSync(away, { recursive: true, force: true }));
    fs.writeFileSync(path.join(away, "victim.json"), '"outside"');
    fs.rmSync(file);
    fs.symlinkSync(path.join(away, "victim.json"), file);
    await withManager(t, async (m) => {
      await m.store("s").put("b", "replaced");
      expect({
        value: await m.store("s").get("b"),
        link: fs.lstatSync(file).isSymbolicLink(),
        outside: snapshot(away),
      }).toEqual({ value: "replaced", link: false, outside: { "victim.json": '"outside"' } });
    });
  });
});
