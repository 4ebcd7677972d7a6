/**
 * `pnpm bench` — side-by-side benchmarks of our backends against the raw limits and the peers a user
 * would pick instead. See ../README.md.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { CONTENTION_ID, measureContention } from "./contention";
import { Dataset, DeleteOrder, KeySequence } from "./dataset";
import {
  describeError,
  type HarnessOptions,
  hasGc,
  measureFootprint,
  runScenario,
  type ScenarioResult,
} from "./harness";
import {
  consoleTable,
  machineInfo,
  mb,
  printTargets,
  type Report,
  type SubjectStatus,
  versionsOf,
  writeReport,
} from "./report";
import { measureStartup, STARTUP_ID } from "./startup";
import { commandV1Subject, commandV2Subject } from "./subjects/command";
import { fileSubject } from "./subjects/file";
import { localSubject } from "./subjects/local";
import {
  keyvSqliteNormalSubject,
  keyvSqliteSubject,
  langgraphSubject,
  unstorageDb0NormalSubject,
  unstorageDb0Subject,
  unstorageFsSubject,
} from "./subjects/peers";
import { postgresSubject, rawPgSubject } from "./subjects/postgres";
import { rawFileSubject } from "./subjects/raw-file";
import { rawSpawnSubject } from "./subjects/raw-spawn";
import { rawSqliteSubject } from "./subjects/raw-sqlite";
import {
  SCENARIOS,
  type SharedData,
  type Subject,
  type SubjectContext,
  type SubjectFactory,
} from "./subjects/types";
import { evaluate, TARGETS, type TargetResult } from "./targets";

/** Every subject, in table order: each family's "ours" first, then its limit, then its peers. */
const FACTORIES: SubjectFactory[] = [
  localSubject,
  rawSqliteSubject,
  keyvSqliteSubject,
  keyvSqliteNormalSubject,
  unstorageDb0Subject,
  unstorageDb0NormalSubject,
  langgraphSubject,
  fileSubject,
  rawFileSubject,
  unstorageFsSubject,
  commandV1Subject,
  commandV2Subject,
  rawSpawnSubject,
  // The scale-out backend and its limit share one pool; figures beside local's show the network hop.
  postgresSubject,
  rawPgSubject,
];

/** Subjects that have a slot but cannot be measured yet. */
const PENDING: {
  id: string;
  label: string;
  kind: SubjectFactory["kind"];
  packages: string[];
  reason: string;
}[] = [];

/** Every subject the report lists: the measured ones and the pending slots. */
const ALL_FACTORIES: SubjectFactory[] = [
  ...FACTORIES,
  ...PENDING.map(
    (p): SubjectFactory => ({
      id: p.id,
      label: p.label,
      kind: p.kind,
      family: "sqlite",
      packages: p.packages,
      create: () => Promise.reject(new Error(p.reason)),
    }),
  ),
];

const HELP = `pnpm bench [-- options]

  --quick            10,000 entries only, fewer and shorter rounds (< 3 min); report to a temp dir
  --write            write docs/BENCHMARKS.md and docs/benchmarks.json even for a quick or filtered run
  --out DIR          write the report files to DIR instead
  --sizes N[,N]      entry counts (default 10000,100000; quick 10000)
  --only ID[,ID]     scenarios: ${SCENARIOS.map((s) => s.id).join(", ")}, ${STARTUP_ID} (CLI start-up), ${CONTENTION_ID} (update() by 8 processes on one key)
  --subjects ID[,ID] subjects: ${FACTORIES.map((f) => f.id).join(", ")}
  --rounds N         timed rounds per contender (default 7; quick 5)
  --round-ms N       target duration of one round (default 250; quick 100)
  --warmup-ms N      warm-up budget per contender (default 250; quick 100)
  --keep             keep the temporary data directories
  --render FILE      only re-render BENCHMARKS.md from a benchmarks.json (to --out, default beside it)
  --help
`;

const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = path.resolve(benchDir, "..");

function list(value: string | undefined): string[] | undefined {
  return value
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2).filter((a) => a !== "--");
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      write: { type: "boolean", default: false },
      out: { type: "string" },
      sizes: { type: "string" },
      only: { type: "string" },
      subjects: { type: "string" },
      rounds: { type: "string" },
      "round-ms": { type: "string" },
      "warmup-ms": { type: "string" },
      keep: { type: "boolean", default: false },
      render: { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    log(HELP);
    return 0;
  }
  if (values.render) {
    // Re-renders BENCHMARKS.md from a benchmarks.json (after a change to the report's layout).
    const report = JSON.parse(fs.readFileSync(values.render, "utf8")) as Report;
    // Targets are re-evaluated from the figures, so a change to the target table shows too.
    report.targets = [
      ...report.run.sizes.flatMap((size) => TARGETS.map((t) => evaluate(t, report.scenarios, size))),
      // Start-up targets are whole-process figures, not scenarios: kept as measured.
      ...report.targets.filter((t) => t.id.startsWith("cli-startup")),
    ];
    report.notes = [...NOTES, ...report.notes.filter((n) => n.startsWith("CLI start-up"))];
    const out = values.out ?? path.dirname(path.resolve(values.render));
    const written = writeReport(report, ALL_FACTORIES, out);
    log(`wrote ${written.md} and ${written.json}`);
    return 0;
  }
  const quick = values.quick ?? false;
  const sizes = list(values.sizes)?.map(Number) ?? (quick ? [10_000] : [10_000, 100_000]);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1000)) throw new Error("--sizes: integers ≥ 1000");
  const only = list(values.only);
  const subjectIds = list(values.subjects);
  for (const id of only ?? []) {
    if (!SCENARIOS.some((s) => s.id === id) && id !== STARTUP_ID && id !== CONTENTION_ID)
      throw new Error(`--only: unknown scenario ${id}`);
  }
  for (const id of subjectIds ?? []) {
    if (!FACTORIES.some((f) => f.id === id)) throw new Error(`--subjects: unknown subject ${id}`);
  }
  const custom = Boolean(values.sizes || only || subjectIds || values.rounds || values["round-ms"]);
  const mode: Report["run"]["mode"] = custom ? "custom" : quick ? "quick" : "full";
  const harness: HarnessOptions = {
    rounds: Number(values.rounds ?? (quick ? 5 : 7)),
    roundMs: Number(values["round-ms"] ?? (quick ? 100 : 250)),
    warmupMs: Number(values["warmup-ms"] ?? (quick ? 100 : 250)),
    maxOpsPerRound: 50_000,
    log,
  };
  const factories = FACTORIES.filter((f) => !subjectIds || subjectIds.includes(f.id));
  const scenarios = SCENARIOS.filter((s) => !only || only.includes(s.id));
  const started = new Date();
  const loadAtStart = os.loadavg()[0] as number;
  const machine = machineInfo();
  log(
    `wfstore benchmarks — ${mode} run, sizes ${sizes.join(", ")}, ${harness.rounds} rounds of ~${harness.roundMs} ms`,
  );
  log(
    `${machine.cpuModel} × ${machine.cpus}, node ${machine.node}, data on ${machine.tmpFs}${hasGc() ? "" : " (no --expose-gc: rounds run without a GC first)"}`,
  );

  const results: ScenarioResult[] = [];
  const statuses: SubjectStatus[] = [];
  const targets: TargetResult[] = [];
  /** Removal of the previous size's data, overlapping the next size's (untimed) setup. */
  let removing: Promise<void> | undefined;
  /** Removal of the last size's data, after the report is written (it takes minutes for 100,000 files). */
  let removeLast: (() => Promise<void>) | undefined;
  // `--only startup` sets up no subjects at all.
  const sizesToRun = scenarios.length === 0 ? [] : sizes;
  for (const [sizeIndex, size] of sizesToRun.entries()) {
    log("");
    log(`━━ ${size.toLocaleString("en-US")} entries ━━`);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), `wfstore-bench-${size}-`));
    const now = Date.now();
    const keys = new KeySequence(size);
    // The sqlite family prunes half the store (issue #3's figure); the file family 1 % (a periodic TTL
    // prune), because restoring half of 100,000 durable files after every timed prune would take minutes.
    const datasets = {
      sqlite: new Dataset(size, size / 2, now),
      memory: new Dataset(size, size / 2, now),
      command: new Dataset(size, size / 2, now),
      file: new Dataset(size, size / 100, now),
    };
    const subjects: Subject[] = [];
    const shared: SharedData = {};
    for (const f of factories) {
      const ds = datasets[f.family];
      const ctx: SubjectContext = {
        size,
        shared,
        dir: fs.mkdtempSync(path.join(root, `${f.id}-`)),
        dataset: ds,
        keys,
        deletes: new DeleteOrder(size, ds.oldCount),
        quick,
        log,
      };
      const t0 = Date.now();
      try {
        const { value, footprint } = await measureFootprint(() => f.create(ctx));
        const setupSeconds = (Date.now() - t0) / 1000;
        subjects.push(value);
        statuses.push({
          id: f.id,
          label: f.label,
          kind: f.kind,
          size,
          status: "ok",
          entries: value.entries,
          setupSeconds,
          footprint,
          ...(value.notes ? { notes: value.notes } : {}),
        });
        log(
          `  set up ${f.id} in ${setupSeconds.toFixed(1)} s (${value.entries.toLocaleString("en-US")} entries, heap +${mb(footprint.heapBytes)})`,
        );
        for (const n of value.notes ?? []) log(`    ${n}`);
      } catch (error) {
        const reason = describeError(error);
        statuses.push({ id: f.id, label: f.label, kind: f.kind, size, status: "not measured", reason });
        log(`  ${f.id}: NOT MEASURED — ${reason}`);
      }
    }
    for (const p of PENDING)
      statuses.push({
        id: p.id,
        label: p.label,
        kind: "pending",
        size,
        status: "not measured",
        reason: p.reason,
      });
    if (removing) {
      log("  waiting for the previous size's data to be removed…");
      await removing;
      removing = undefined;
    }

    for (const s of scenarios) {
      const contenders = subjects.flatMap((sub) => (sub.contenders[s.id] ? [sub.contenders[s.id]!] : []));
      if (contenders.length === 0) continue;
      log("");
      const options: Partial<HarnessOptions> =
        s.id === "delete" ? { maxOpsPerRound: Math.min(harness.maxOpsPerRound, Math.floor(size / 4)) } : {};
      const r = await runScenario({ id: s.id, title: s.title, size, contenders, options }, harness);
      results.push(r);
      log(consoleTable(r));
    }

    for (const sub of subjects) {
      try {
        await sub.close();
      } catch (error) {
        log(`  closing ${sub.id}: ${describeError(error)}`);
      }
    }
    for (const t of TARGETS) targets.push(evaluate(t, results, size));
    if (values.keep) log(`  data kept in ${root}`);
    else {
      // Deleting files costs ~2 ms each on this disk (online discard); fs.promises.rm deletes several at
      // once (libuv's thread pool). While another size follows, the removal runs during its (untimed)
      // setup and is awaited before anything is timed.
      const label = `${size.toLocaleString("en-US")} entries`;
      if (sizeIndex < sizes.length - 1) {
        const t0 = Date.now();
        removing = fs.promises
          .rm(root, { recursive: true, force: true })
          .then(() => log(`  removed the data of ${label} in ${((Date.now() - t0) / 1000).toFixed(1)} s`));
      } else {
        removeLast = async () => {
          const t0 = Date.now();
          await fs.promises.rm(root, { recursive: true, force: true });
          log(`  removed the data of ${label} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        };
      }
    }
  }

  const primary = Math.max(...sizes);
  const startupNotes: string[] = [];
  if (!only || only.includes(STARTUP_ID)) {
    const startup = await measureStartup({ quick, size: primary, log });
    targets.push(...startup.targets);
    startupNotes.push(startup.note);
  }
  if (!only || only.includes(CONTENTION_ID)) {
    startupNotes.push((await measureContention({ quick, log })).note);
  }
  log("");
  log(`━━ targets (at ${primary.toLocaleString("en-US")} entries) ━━`);
  printTargets(
    targets.filter((t) => t.size === primary),
    log,
  );

  const finished = new Date();
  const versions = versionsOf(ALL_FACTORIES, benchDir);
  try {
    const db = new Database(":memory:");
    versions.sqlite = String(db.prepare("SELECT sqlite_version()").pluck().get());
    db.close();
  } catch {
    versions.sqlite = "unknown";
  }
  const report: Report = {
    run: {
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      seconds: (finished.getTime() - started.getTime()) / 1000,
      mode,
      argv,
      sizes,
      harness: {
        rounds: harness.rounds,
        roundMs: harness.roundMs,
        warmupMs: harness.warmupMs,
        maxOpsPerRound: harness.maxOpsPerRound,
      },
      machine,
      versions,
      gc: hasGc(),
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      loadAverage: { start: loadAtStart, end: os.loadavg()[0] as number },
    },
    subjects: statuses,
    scenarios: results,
    targets,
    notes: [...NOTES, ...startupNotes],
  };
  const outDir =
    values.out ??
    (mode === "full" || values.write
      ? path.join(repoRoot, "docs")
      : fs.mkdtempSync(path.join(os.tmpdir(), "wfstore-bench-report-")));
  const written = writeReport(report, ALL_FACTORIES, outDir);
  log("");
  log(`wrote ${written.md} and ${written.json} (${(report.run.seconds / 60).toFixed(1)} min)`);
  if (removeLast) {
    log("removing the data directories…");
    await removeLast();
  }
  log(`done in ${((Date.now() - started.getTime()) / 60_000).toFixed(1)} min`);
  return 0;
}

/** How each figure is measured, for the report. */
const NOTES = [
  "Entries: keys `bench_000000`…, values of about 210 bytes of JSON (an object with numbers, a boolean, an array and a sentence). Seeded with known timestamps, so list positions, cursors and prune results are known in advance; each subject's setup verifies a get, the newest-50 order and (where it applies) the deep cursor page before anything is timed.",
  "Ours (`local`, `file`, `command-v1`, `command-v2`, `postgres`) always go through `StoreManager` → `manager.store(name)`, so every figure includes core's validation, serialization, schema check, TTL logic and retention. Backends are loaded from their built `dist`, like a user's install.",
  "`raw-sqlite` is the best schema for the job built by hand on raw better-sqlite3 (issue 15), sharing no code with the backend: a rowid table with a unique index on (store, project, key), integer millisecond timestamps, a covering recency index (store, project, updated_at DESC, key, version), versions, and per-project counts and version floors kept by its own statements; WAL, synchronous=NORMAL, prepared statements, in a file of its own. It still does what the job needs and any caller must: JSON.stringify on put, JSON.parse and RFC 3339 timestamps (a per-day cached formatter) on reads, versions that never repeat after a removal. Offset pages are a deferred join through the covering index; prune reads the largest version it removes from that index, then deletes.",
  "Issue 15 and 11 scenarios: export reads every entry of a store of ~2 KB values (about 2,100 bytes of JSON each) in list order, `store.entries({ batchSize: 1000 })` for ours and one SELECT over the recency index for the raw limit; prune to the newest 500 removes all but 500 of the main store (then an untimed reseed); put with ifVersion overwrites random keys on condition of their current version, which is read in the untimed reset after the previous round, so the figure is the conditional put alone.",
  "`raw-file` is one `<key>.json` per entry in one directory: put = temp file + the file backend's default fsync policy + rename; get = readFileSync + JSON.parse; newest 50 and prune = readdir + a stat of every file (+ sort by mtime). Seeded files carry the seeded times as mtimes.",
  "`execa-sh` is execa's own floor: a bare `execa('/bin/sh', ['-c', '<kv.sh> get'])` (the execa @store/backend-command depends on, default options but `extendEnv: false`) with the same protocol environment, working directory and stdin as the v1 backend; it holds its own copy of the entries, written by the same command, and runs interleaved with `command-v1` in the same rounds.",
  "get: a random existing key (one fixed pseudo-random sequence for all). put: overwrite of a random existing key with a new value. put with a schema: the same on a store whose manifest declares a JSON Schema (2,000 entries for `file`, 100 for `command-v1`, 50 in a quick run). put with retention: a new key on a store at its max_entries 500, so every put evicts one entry. delete: an existing key; the untimed reset after each round puts the deleted entries back with their seeded timestamps.",
  "newest 50: `list({ limit: 50 })`; deep: 50 entries at the middle of the list (position 5,000 or 50,000), by `offset` and by keyset cursor (`listPage`).",
  "prune: one prune per round, then an untimed reseed of what it removed. The SQLite family prunes half the store (issue #3's figure); the file family 1 % (a periodic TTL prune), since restoring half of 100,000 durable files after every round would take minutes. By age: ttl_days 2 over entries seeded 3–4 days and < 1 day old; by count: max_entries = N − removed.",
  "import: `store.import()` of every entry (batches of 1,000, putMany where the backend has it) into an empty store; the raw limits write the same entries (SQLite: 1,000 upserts per transaction; files: one atomic write each with the file fsynced, the directory fsynced once per 1,000, as the backend's import does). The file family imports durably, about 1.4 ms per file here, and each reset deletes the files again: one round of 10,000 entries at the 10,000 size only (the cost per file into an empty store does not depend on the other stores), 1,000 entries in a quick run.",
  "Command: `command-v1` runs the package's reference provider providers/kv.sh as `sh -c` strings (one process per op) and holds 1,000 entries (150 in a quick run: its list reads every entry file, and seeding spawns once per entry), as does `execa-sh`; `command-v2` runs providers/kv-v2.mjs (one long-running process, journaled) and holds the full size. `get-64` keeps 64 gets in flight (v1's queue runs 8 processes at once).",
  "Peers: Keyv 5 + @keyv/sqlite with `PRAGMA journal_mode=WAL` run through its own connection, and unstorage + db0 + better-sqlite3 with WAL set through db0, both at SQLite's default synchronous=FULL (the issue's “with WAL”; the targets use these), and again as `-normal` with synchronous=NORMAL, the durability the local backend defaults to, for a like-for-like comparison; unstorage fs driver over the raw-file directory (the same `<key>.json` files, which is its own format: a file per key holding the value's JSON), so 100,000 files are written and deleted once, not twice; LangGraph InMemoryStore (no persistence) as an in-memory reference. The unstorage fs newest 50 is getKeys + getMeta (mtime) of every key + sort + getItem × 50 — the cheapest correct way with its API. Keyv and unstorage+db0 have no ordered listing, so they have no list figures.",
  "Disk: on this machine the data directory is on ext4 mounted with `discard`, so deleting a file whose blocks reached the disk costs about 2 ms (a synchronous discard), and creating one durably about 1.4 ms (fsync). Delete and prune figures of the file family include that cost for ours and the raw limit alike; it is also why the file family's import is measured at 10,000 entries only. The data of a size is removed with parallel unlinks (fs.promises.rm), overlapping the next size's untimed setup.",
  "PostgreSQL: `postgres` (@store/backend-postgres through StoreManager) and `raw-pg` (the statements the backend runs, from its `postgresStatements()`, on a schema made by its `postgresMigrationSql()`, prepared, through `pg`) share one `pg.Pool` of 4 connections to the server the PG* variables name (default 127.0.0.1:5432, a local server: the hop is loopback TCP, not a network), each on its own schema, dropped afterwards. Both commit every write (synchronous_commit on), so put and delete include the server's WAL flush. prune is one call of the schema's `prune_entries()`: one DELETE of half the store (50,000 entries at 100,000). Compare `postgres` with `local` in the same table to see what a server round trip costs.",
  "Peak RSS per scenario is sampled after every round and every 20 ms while the event loop is idle; all subjects of a size live in one process, so it is the process's peak during that scenario, not one subject's. The memory table measures each subject alone.",
];

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(
      `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
