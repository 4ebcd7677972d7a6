import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { say } from "./print";
import { shell } from "./shell";
import { benchmarkTask, type Plan, planTask, runTask } from "./tasks";

/**
 * `pnpm demo`: cross-task memory with wfstore, from a fresh data directory, on the embedded SQLite
 * default. Each step prints what it does (the `wfstore` commands run through @store/cli's `run()`, the
 * code of the bin) and every claim in the summary is checked; any failed check makes the demo exit 1.
 *
 *   node dist/main.js [--keep]     --keep leaves the data directory in place to explore afterwards
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../../..");
const examples = path.join(root, "examples");
const keep = process.argv.includes("--keep");

async function main(): Promise<number> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "wfstore-demo-"));
  const kvDir = path.join(dataDir, "kv-script");
  // The example command provider keeps its files where $KV_STORE_DIR says (the manifest passes it on).
  process.env.KV_STORE_DIR = kvDir;
  const wfstore = shell({ WFSTORE_DATA_DIR: dataDir, KV_STORE_DIR: kvDir }, root);
  const checks: { ok: boolean; text: string }[] = [];
  const check = (ok: boolean, text: string) => {
    checks.push({ ok, text });
    return ok;
  };
  const setup = {
    dataDir,
    manifests: [path.join(examples, "stores.yaml"), path.join(examples, "providers.yaml")],
  };

  say.title("wfstore demo: persistent cross-task memory for workflow orchestrators");
  say.note(`data directory: ${dataDir} (fresh, embedded SQLite by default)`);

  try {
    say.step("Declare the stores: apply the example manifests");
    say.note("metrics has a JSON Schema, journal keeps 5 entries, notes is served by a command provider.");
    const applied = await wfstore(["apply", "-f", "examples/"]);
    await wfstore(["get", "workflowstores"]);
    check(
      applied.code === 0 && (applied.stdout.match(/ created$/gm) ?? []).length === 4,
      "manifests applied: 3 stores and 1 provider",
    );

    say.step("Benchmark tasks record what they measured (library API, one StoreManager per task)");
    const runs = [
      { id: "benchmark-1", test_count: 120, duration_ms: 4810, failures: [] },
      { id: "benchmark-2", test_count: 124, duration_ms: 4980, failures: ["retries on timeout"] },
      {
        id: "benchmark-3",
        test_count: 128,
        duration_ms: 5520,
        failures: ["parser keeps CRLF", "retries on timeout"],
      },
    ];
    for (const { id, ...result } of runs) {
      await runTask(setup, (m) => benchmarkTask(m, id, result));
      await sleep(5); // distinct timestamps, so "newest first" reads naturally
    }

    say.step("A later plan task reads them: cross-task memory");
    say.note("The plan task shares nothing with the benchmark tasks but the store.");
    const plan: Plan = await runTask(setup, (m) => planTask(m, "plan-1"));
    check(
      plan.readFrom === "benchmark-3" && plan.steps.length === 3,
      `cross-task memory: plan-1 read what benchmark-3 wrote and planned ${plan.steps.length} steps`,
    );
    say.note("The same entry, from the shell:");
    const fromShell = await wfstore(["store", "get", "metrics", "last-benchmark"]);

    say.step("The schema rejects a bad write, with a readable error");
    const bad = await wfstore([
      "store",
      "put",
      "metrics",
      "last-benchmark",
      '{"test_count": "many", "duration_ms": 12}',
      "--task",
      "sloppy-task",
    ]);
    const after = await wfstore(["store", "get", "metrics", "last-benchmark"], { hidden: true });
    say.note(`exit code ${bad.code}; the stored value is unchanged.`);
    check(
      bad.code === 2 &&
        bad.stderr.startsWith("wfstore: error SCHEMA_VIOLATION:") &&
        after.stdout === fromShell.stdout,
      "the schema rejected a bad write (SCHEMA_VIOLATION, exit 2) and kept the good value",
    );

    say.step("Retention trims the journal store (max_entries: 5)");
    say.note("Four tasks have written to the journal so far; four more now:");
    for (let i = 1; i <= 4; i++) {
      await wfstore(
        [
          "store",
          "put",
          "journal",
          `deploy-${i}`,
          JSON.stringify({ did: `deployed build ${i}` }),
          "--task",
          `deploy-${i}`,
        ],
        {
          quiet: i < 4,
        },
      );
      await sleep(5);
    }
    const journal = await wfstore(["store", "list", "journal"]);
    const journalKeys = (
      JSON.parse((await wfstore(["store", "list", "journal", "--json"], { hidden: true })).stdout) as {
        key: string;
      }[]
    ).map((e) => e.key);
    say.note(
      "8 writes, 5 kept: the oldest (benchmark-1, benchmark-2, benchmark-3) were trimmed after each put.",
    );
    check(
      journal.code === 0 && journalKeys.join(",") === "deploy-4,deploy-3,deploy-2,deploy-1,plan-1",
      "retention kept the newest 5 of 8 journal entries",
    );

    say.step("The metrics store moves to the file provider: export, apply, import");
    const dump = path.join(dataDir, "metrics.ndjson");
    const before = await wfstore(["store", "get", "metrics", "last-benchmark", "--entry"], { hidden: true });
    const exported = await wfstore(["store", "export", "metrics"], {
      stdoutFile: dump,
      shown: "wfstore store export metrics > metrics.ndjson",
    });
    const lines = fs.readFileSync(dump, "utf8").trimEnd().split("\n");
    say.output(`(${lines.length} lines, for example)\n${lines[0]}`);
    await wfstore(["apply", "-f", "examples/move-to-file/"]);
    await wfstore(["store", "import", "metrics"], {
      stdinFile: dump,
      shown: "wfstore store import metrics < metrics.ndjson",
    });
    const moved = await wfstore(["store", "get", "metrics", "last-benchmark", "--entry"]);
    const provider = (
      JSON.parse((await wfstore(["get", "workflowstore", "metrics", "--json"], { hidden: true })).stdout) as {
        provider: string;
      }
    ).provider;
    const files = listFiles(path.join(dataDir, "stores", "metrics"));
    say.note(`now kept as files: ${files.map((f) => path.relative(dataDir, f)).join(", ")}`);
    check(
      exported.code === 0 &&
        provider === "file" &&
        moved.stdout === before.stdout &&
        files.length === lines.length,
      `metrics moved from local (SQLite) to file: ${lines.length} entries, timestamps and task ids intact`,
    );

    say.step("A command provider serves the notes store (examples/kv-store.mjs)");
    say.note("plan-1 wrote a lesson through the library; the script keeps it in its own JSON file:");
    const notes = await wfstore(["store", "list", "notes"]);
    await wfstore([
      "store",
      "put",
      "notes",
      "lesson/demo",
      '"stores outlive the tasks that write them"',
      "--task",
      "demo",
    ]);
    const note = await wfstore(["store", "get", "notes", "lesson/demo"]);
    const kvFile = path.join(kvDir, "notes", "_default.json");
    const kept = fs.existsSync(kvFile)
      ? (JSON.parse(fs.readFileSync(kvFile, "utf8")) as Record<string, unknown>)
      : {};
    say.note(`${path.relative(dataDir, kvFile)} holds: ${Object.keys(kept).join(", ")}`);
    check(
      notes.stdout.includes("lesson/plan-1") &&
        note.stdout === '"stores outlive the tasks that write them"\n' &&
        "lesson/demo" in kept,
      "a command provider (a script) served the notes store",
    );
  } catch (error) {
    say.fail(`the demo stopped: ${(error as Error).message}`);
    checks.push({ ok: false, text: "the demo ran to the end" });
  }

  say.heading("Summary");
  for (const c of checks) (c.ok ? say.ok : say.fail)(c.text);
  const failed = checks.filter((c) => !c.ok).length;
  if (keep) {
    say.note(`data kept in ${dataDir}; explore it with:`);
    say.note(`  WFSTORE_DATA_DIR=${dataDir} KV_STORE_DIR=${kvDir} npx wfstore store list metrics`);
  } else {
    fs.rmSync(dataDir, { recursive: true, force: true });
    say.note("the data directory was removed (run with --keep to explore it).");
  }
  say.line(
    failed === 0 ? `All ${checks.length} checks passed.` : `${failed} of ${checks.length} checks failed.`,
  );
  return failed === 0 ? 0 : 1;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith(".json") && !d.parentPath.includes(".meta"))
    .map((d) => path.join(d.parentPath, d.name))
    .sort();
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);
