import fs from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { fillValue } from "./fixtures/values.mjs";
import { useWorkers } from "./support/children";
import {
  bindReadOnlyUnavailable,
  chattrUnavailable,
  makeReadOnlyByBind,
  mountTmpfs,
  resizeTmpfs,
  setImmutable,
  tmpfsUnavailable,
  unmount,
} from "./support/machine";
import { codeOf, withManager } from "./support/stores";
import { makeTarget, type Target, type TargetName } from "./support/targets";

/**
 * Issue 14, faults: a full disk and a read-only data directory. Each gives one clear error with a
 * stable code, damages nothing already stored, and the store works again once the fault is gone.
 * The machine decides how a fault is made (a tmpfs, a file-size limit, a read-only bind mount,
 * chattr +i); the test names say which was used, or why the fault could not be made.
 */
const { worker, limitedWorker } = useWorkers();
const targets: Target[] = [];
const mounts: string[] = [];
const siblings: string[] = [];
afterEach(() => {
  for (const dir of mounts.splice(0)) unmount(dir);
});
afterAll(async () => {
  for (const t of targets.splice(0)) await t.cleanup();
  for (const file of siblings.splice(0)) fs.rmSync(file, { force: true });
});

function fresh(name: TargetName): Target {
  const t = makeTarget(name);
  targets.push(t);
  return t;
}

/** The code and message a backend of each kind gives for a full disk. */
const DISK_FULL: Record<string, { code: string; message: RegExp }> = {
  local: { code: "BACKEND_IO", message: /^local: .*(SQLITE_FULL|full|ENOSPC|EFBIG)/i },
  file: { code: "BACKEND_IO", message: /^file: .*(ENOSPC|EFBIG|no space|too large)/i },
  "command-v2": { code: "PROVIDER_FAILED", message: /^command: .*(ENOSPC|EFBIG|no space)/i },
};

const VALUE_BYTES = 64 * 1024;
/** A file-size limit stops one file, not a disk: values grow until one file is too large. */
const LIMITED = { valueBytes: VALUE_BYTES, growBytes: VALUE_BYTES, blocks: 4096 };

/** Reads back every acknowledged put of a fill child: all there, whole. */
async function expectIntact(
  t: Target,
  lines: string[],
  fill: { valueBytes: number; growBytes?: number },
  extra: string[] = [],
): Promise<void> {
  const keys = lines.filter((l) => l.startsWith("ack ")).map((l) => l.slice(4));
  expect(keys.length).toBeGreaterThan(0);
  const problems = await withManager(t, async (m) => {
    const store = m.store("s");
    const out: string[] = [];
    for (const key of [...keys, ...extra]) {
      const value = await store.get(key);
      const want = key === "after" ? { ok: true } : fillValue(fill, Number(key.slice(1)));
      if (JSON.stringify(value) !== JSON.stringify(want)) out.push(key);
    }
    // And it takes a write in a fresh process too.
    await store.put("fresh-process", 1);
    if ((await store.get("fresh-process")) !== 1) out.push("fresh-process");
    return out;
  });
  expect(problems).toEqual([]);
}

/**
 * Known defects, by target: the test stays, marked `it.fails`, until the owner fixes it (see
 * docs/RELIABILITY.md, "Open defects").
 */
const DISK_FULL_DEFECT: Partial<Record<TargetName, string>> = {};

describe.each(["local", "file", "command-v2"] as TargetName[])("disk full on %s", (name) => {
  const expected = DISK_FULL[name] as { code: string; message: RegExp };
  const defect = DISK_FULL_DEFECT[name];
  /** `it.skipIf(skip)`, expected to fail while the defect is open. */
  const test = (skip: boolean) => (defect ? it.skipIf(skip).fails : it.skipIf(skip));

  test(tmpfsUnavailable !== undefined)(
    `a 2 MiB tmpfs fills up: ${expected.code}, nothing lost, writes work once it is grown${defect ? ` [known defect: ${defect}]` : ""}`,
    async () => {
      const t = fresh(name);
      mountTmpfs(t.dataDir, 2 * 1024 * 1024);
      mounts.push(t.dataDir);
      // Beside the data directory: the full tmpfs has no room for it.
      const retry = `${t.dataDir}.retry`;
      siblings.push(retry);
      const child = worker("fill", {
        spec: t.spec,
        dataDir: t.dataDir,
        valueBytes: VALUE_BYTES,
        maxPuts: 200,
        retryFile: retry,
      });
      const line = await child.line((l) => l.startsWith("error "));
      const [, code, message] = /^error (\S+) (.*)$/.exec(line) ?? [];
      expect({ code, message: JSON.parse(message ?? '""') }).toEqual({
        code: expected.code,
        message: expect.stringMatching(expected.message),
      });
      resizeTmpfs(t.dataDir, 64 * 1024 * 1024);
      fs.writeFileSync(retry, "");
      await child.line((l) => l === "retry ok");
      expect((await child.done).code).toBe(0);
      await expectIntact(t, child.lines, { valueBytes: VALUE_BYTES }, ["after"]);
    },
    120_000,
  );

  // Without a tmpfs: the same through a file-size limit (ulimit -f) on the writing process.
  test(tmpfsUnavailable === undefined)(
    `a file-size limit (no tmpfs here: ${tmpfsUnavailable ?? ""}): ${expected.code}, nothing lost, writes work without it${defect ? ` [known defect: ${defect}]` : ""}`,
    async () => {
      const t = fresh(name);
      const { blocks, ...fill } = LIMITED;
      const child = limitedWorker(blocks, "fill", {
        spec: t.spec,
        dataDir: t.dataDir,
        ...fill,
        maxPuts: 200,
      });
      const line = await child.line((l) => l.startsWith("error "));
      const [, code] = /^error (\S+) /.exec(line) ?? [];
      expect(code).toBe(expected.code);
      await child.done;
      await expectIntact(t, child.lines, fill);
    },
    120_000,
  );
});

/** The code of a failed write: the builtin backends' I/O error, a provider's failure. */
const WRITE_FAILED: Record<string, string> = {
  local: "BACKEND_IO",
  file: "BACKEND_IO",
  "command-v2": "PROVIDER_FAILED",
};

/** A populated store whose data directory is then made read-only by `readOnly`, restored by `restore`. */
async function readOnlyScenario(
  name: TargetName,
  readOnly: (dir: string) => void,
  restore: (dir: string) => void,
) {
  const failed = WRITE_FAILED[name];
  const t = fresh(name);
  await withManager(t, async (m) => {
    for (let i = 0; i < 20; i++) await m.store("s").put(`k${i}`, { i });
  });
  readOnly(t.dataDir);
  let undo = true;
  try {
    await withManager(t, async (m) => {
      const store = m.store("s");
      const put = await codeOf(() => store.put("k0", { i: "changed" }));
      const del = await codeOf(() => store.delete("k1"));
      // A read may work or fail (a backend may need to write to read: SQLite's WAL index, the file
      // backend's index rebuild), but it never returns anything but the stored value.
      let read: unknown;
      try {
        read = await store.get("k2");
      } catch (error) {
        read = (error as { code?: string }).code;
      }
      expect({ put, del, readOk: read === failed || JSON.stringify(read) === '{"i":2}' }).toEqual({
        put: failed,
        del: failed,
        readOk: true,
      });
      restore(t.dataDir);
      undo = false;
      // The same manager works again once the directory is writable.
      await store.put("k20", { i: 20 });
      const all = await store.list({ limit: 100 });
      expect(all.map((e) => e.key).sort()).toEqual(Array.from({ length: 21 }, (_, i) => `k${i}`).sort());
      for (const e of all) expect(e.value).toEqual({ i: Number(e.key.slice(1)) });
    });
  } finally {
    if (undo) restore(t.dataDir);
  }
}

describe.each(["local", "file", "command-v2"] as TargetName[])("read-only data directory on %s", (name) => {
  it.skipIf(bindReadOnlyUnavailable !== undefined)(
    `a read-only bind mount: writes fail with ${WRITE_FAILED[name]}, data intact, writes work once it is writable`,
    () =>
      readOnlyScenario(
        name,
        (dir) => {
          const failed = makeReadOnlyByBind(dir);
          if (failed) throw new Error(failed);
        },
        unmount,
      ),
    60_000,
  );
  it.skipIf(bindReadOnlyUnavailable === undefined || chattrUnavailable !== undefined)(
    `chattr +i (no read-only bind mount here: ${bindReadOnlyUnavailable ?? ""}): the same`,
    () =>
      readOnlyScenario(
        name,
        (dir) => setImmutable(dir, true),
        (dir) => setImmutable(dir, false),
      ),
    60_000,
  );
  it.skipIf(bindReadOnlyUnavailable === undefined || chattrUnavailable === undefined)(
    `not possible here: no read-only bind mount (${bindReadOnlyUnavailable ?? ""}) and no chattr (${chattrUnavailable ?? ""}); root ignores permission bits`,
    () => {},
  );
});

beforeAll(() => {
  console.info(
    `[reliability] faults: tmpfs ${tmpfsUnavailable ?? "yes"}; read-only bind mount ${bindReadOnlyUnavailable ?? "yes"}; chattr ${chattrUnavailable ?? "yes"}`,
  );
});
