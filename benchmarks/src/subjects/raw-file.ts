/**
 * The limits for the file backend: one `<key>.json` per entry in one directory, written atomically
 * (temp file in the same directory, the same fsync policy as the backend's default, rename) and read
 * with readFileSync + JSON.parse. Listing and pruning the only way plain files allow: readdir, a stat
 * of every file, sort by mtime ("the stat-everything approach").
 */
import fs from "node:fs";
import path from "node:path";
import { keyFor, type SeedEntry, valueFor } from "../dataset";
import type { Contender } from "../harness";
import { FILE_IMPORT_ROUNDS, fileImportEntries } from "./file";
import { check } from "./ours";
import type { ScenarioId, SubjectFactory } from "./types";

const DAY_MS = 86_400_000;

/**
 * What is fsynced around a write. `durable`: the temp file before the rename and the directory after
 * it (so the rename itself survives power loss); `file`: the temp file only; `none`: neither.
 */
export type FsyncPolicy = "durable" | "file" | "none";

/**
 * The file backend's default policy, mirrored here (packages/backend-file: fsync the temp file, rename,
 * fsync the directory). Update both together.
 */
export const BACKEND_DEFAULT_FSYNC: FsyncPolicy = "durable";

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

let tmpSeq = 0;

/** temp + (fsync) + rename (+ fsync of the directory). */
export function atomicWrite(dir: string, name: string, data: string, policy: FsyncPolicy): void {
  const file = path.join(dir, name);
  const tmp = path.join(dir, `.${name}.${process.pid}.${tmpSeq++}.tmp`);
  const fd = fs.openSync(tmp, "wx");
  try {
    let n = 0;
    const buf = Buffer.from(data, "utf8");
    while (n < buf.length) n += fs.writeSync(fd, buf, n, buf.length - n);
    if (policy !== "none") fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  if (policy === "durable") fsyncDir(dir);
}

interface Stamped {
  name: string;
  mtime: number;
}

/** readdir + stat of every file. */
function statAll(dir: string): Stamped[] {
  const names = fs.readdirSync(dir);
  const out: Stamped[] = [];
  for (const name of names) {
    if (!name.endsWith(".json")) continue;
    out.push({ name, mtime: fs.statSync(path.join(dir, name)).mtimeMs });
  }
  return out;
}

const newestFirst = (a: Stamped, b: Stamped) =>
  b.mtime - a.mtime || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export const rawFileSubject: SubjectFactory = {
  id: "raw-file",
  label: "limit: raw files (atomic write, readFileSync + JSON.parse, readdir + stat + sort)",
  kind: "limit",
  family: "file",
  packages: [],
  async create(ctx) {
    const { dataset: ds, keys, deletes } = ctx;
    const dir = path.join(ctx.dir, "entries");
    fs.mkdirSync(dir, { recursive: true });
    const policy = BACKEND_DEFAULT_FSYNC;
    /** Seeding: plain writes (no fsync, setup is not measured), mtimes set to the seeded times. */
    const seedFiles = (target: string, entries: Iterable<SeedEntry>) => {
      for (const e of entries) {
        const file = path.join(target, `${e.key}.json`);
        fs.writeFileSync(file, JSON.stringify(e.value));
        const t = new Date(e.updatedAt);
        fs.utimesSync(file, t, t);
      }
    };
    seedFiles(dir, ds.entries());
    ctx.shared.jsonFiles = { dir, write: (entries) => seedFiles(dir, entries) };
    const read = (i: number) => JSON.parse(fs.readFileSync(path.join(dir, `${keyFor(i)}.json`), "utf8"));
    check(read(keys.at(0)).id === keys.at(0), "raw-file get");

    const newest50 = () => {
      const all = statAll(dir).sort(newestFirst);
      return all.slice(0, 50).map((s) => JSON.parse(fs.readFileSync(path.join(dir, s.name), "utf8")));
    };
    check(newest50()[0]?.id === ds.size - 1, "raw-file newest-50 order");

    const restoreOld = () => seedFiles(dir, ds.entries(0, ds.oldCount));
    const rawPut = (ops: number, start: number) => {
      for (let j = 0; j < ops; j++) {
        const i = keys.at(start + j);
        atomicWrite(dir, `${keyFor(i)}.json`, JSON.stringify(valueFor(i, start + j)), policy);
      }
    };
    const single = ctx.size > 50_000 ? { maxRounds: 3 } : {};
    const c: Partial<Record<ScenarioId, Contender>> = {
      get: {
        id: "raw-file",
        run(ops, start) {
          for (let j = 0; j < ops; j++) read(keys.at(start + j));
        },
      },
      "newest-50": {
        id: "raw-file",
        note: "readdir + stat of every file + sort, read 50",
        run(ops) {
          for (let j = 0; j < ops; j++) newest50();
        },
      },
      "prune-age": {
        id: "raw-file",
        fixedOps: 1,
        ...single,
        note: "readdir + stat of every file, unlink the old ones",
        run() {
          const cutoff = Date.now() - ds.pruneTtlDays * DAY_MS;
          let removed = 0;
          for (const s of statAll(dir)) {
            if (s.mtime < cutoff) {
              fs.unlinkSync(path.join(dir, s.name));
              removed++;
            }
          }
          if (policy === "durable") fsyncDir(dir);
          check(removed === ds.oldCount, `raw-file prune removed ${removed}`);
        },
        reset: restoreOld,
      },
      "prune-count": {
        id: "raw-file",
        fixedOps: 1,
        ...single,
        note: "readdir + stat of every file + sort, unlink beyond the count",
        run() {
          const all = statAll(dir).sort(newestFirst);
          for (const s of all.slice(ds.pruneMaxEntries)) fs.unlinkSync(path.join(dir, s.name));
          if (policy === "durable") fsyncDir(dir);
          check(all.length - ds.pruneMaxEntries === ds.oldCount, "raw-file prune count");
        },
        reset: restoreOld,
      },
      put: {
        id: "raw-file",
        note: `temp + fsync policy "${policy}" + rename`,
        run: rawPut,
      },
      // Files have no versions: the same atomic write, run beside file's conditional put as the
      // yardstick that makes "conditional put ÷ plain put" a paired ratio (targets.ts, `via`).
      "put-if-version": {
        id: "raw-file",
        note: "the same atomic write as put (no condition): the yardstick between the two scenarios",
        run: rawPut,
      },
      delete: {
        id: "raw-file",
        note: policy === "durable" ? "unlink + fsync of the directory" : "unlink",
        run(ops, start) {
          for (let j = 0; j < ops; j++) {
            fs.unlinkSync(path.join(dir, `${keyFor(deletes.at(start + j))}.json`));
            if (policy === "durable") fsyncDir(dir);
          }
        },
        reset(ops, start) {
          const back: SeedEntry[] = [];
          for (let j = 0; j < ops; j++) back.push(ds.entry(deletes.at(start + j)));
          seedFiles(dir, back);
        },
      },
    };
    const importDir = path.join(ctx.dir, "import");
    const importN = fileImportEntries(ds.size, ctx.quick);
    if (importN > 0)
      c.import = {
        id: "raw-file",
        fixedOps: 1,
        weight: importN,
        noWarmup: true,
        maxRounds: FILE_IMPORT_ROUNDS,
        note:
          policy === "durable"
            ? "atomic write per entry (fsync of each file), one directory fsync per 1,000, like the backend's import"
            : `atomic write per entry, fsync policy "${policy}"`,
        run() {
          fs.mkdirSync(importDir, { recursive: true });
          // The backend's import fsyncs each value but its directory once per batch: the same here.
          let n = 0;
          for (const e of ds.entries(0, importN)) {
            atomicWrite(
              importDir,
              `${e.key}.json`,
              JSON.stringify(e.value),
              policy === "durable" ? "file" : policy,
            );
            if (policy === "durable" && ++n % 1000 === 0) fsyncDir(importDir);
          }
          if (policy === "durable") fsyncDir(importDir);
        },
        reset: () => fs.promises.rm(importDir, { recursive: true, force: true }),
      };
    return { id: "raw-file", contenders: c, entries: ds.size, close() {} };
  },
};
