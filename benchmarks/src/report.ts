/** Console tables, docs/BENCHMARKS.md and docs/benchmarks.json. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Footprint, HarnessOptions, ScenarioResult } from "./harness";
import { ratio } from "./harness";
import { SCENARIOS, type SubjectFactory } from "./subjects/types";
import { formatRatio, LIMIT_OF, type TargetResult, targetLine } from "./targets";

export interface SubjectStatus {
  id: string;
  label: string;
  kind: string;
  size: number;
  status: "ok" | "not measured";
  reason?: string;
  entries?: number;
  setupSeconds?: number;
  footprint?: Footprint;
  notes?: string[];
}

export interface RunInfo {
  startedAt: string;
  finishedAt: string;
  seconds: number;
  mode: "quick" | "full" | "custom";
  argv: string[];
  sizes: number[];
  harness: Omit<HarnessOptions, "log">;
  machine: MachineInfo;
  versions: Record<string, string>;
  gc: boolean;
  peakRssBytes: number;
  /** 1-minute load average when the run started and ended: how busy the shared machine was. */
  loadAverage?: { start: number; end: number };
}

export interface MachineInfo {
  node: string;
  v8: string;
  platform: string;
  release: string;
  arch: string;
  cpuModel: string;
  cpus: number;
  memoryBytes: number;
  tmpdir: string;
  /** The file system the data lives on, from /proc/mounts: device, type and mount options. */
  tmpFs: string;
}

export interface Report {
  run: RunInfo;
  subjects: SubjectStatus[];
  scenarios: ScenarioResult[];
  targets: TargetResult[];
  notes: string[];
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: process.platform,
    release: os.release(),
    arch: process.arch,
    cpuModel: cpus[0]?.model?.trim() ?? "unknown",
    cpus: cpus.length,
    memoryBytes: os.totalmem(),
    tmpdir: os.tmpdir(),
    tmpFs: mountOf(os.tmpdir()),
  };
}

/** `/dev/vda ext4 rw,relatime,discard` for the mount holding `dir` (Linux), else "unknown". */
function mountOf(dir: string): string {
  try {
    const real = fs.realpathSync(dir);
    let best: string[] | undefined;
    for (const line of fs.readFileSync("/proc/mounts", "utf8").split("\n")) {
      const f = line.split(" ");
      const at = f[1];
      if (!at || !(real === at || real.startsWith(at.endsWith("/") ? at : `${at}/`))) continue;
      if (!best || at.length >= (best[1] as string).length) best = f;
    }
    return best ? `${best[0]} ${best[2]} ${best[3]}` : "unknown";
  } catch {
    return "unknown";
  }
}

/** The version of an installed package: its package.json, found from the benchmark package or a dependency. */
export function packageVersion(name: string, roots: string[]): string {
  for (const root of roots) {
    const file = path.join(root, "node_modules", name, "package.json");
    try {
      const pkg = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === name && pkg.version) return pkg.version;
    } catch {
      // try the next root
    }
  }
  return "not installed";
}

/** Roots to look for packages in: the benchmark package, then each direct dependency's own node_modules. */
export function versionsOf(factories: SubjectFactory[], benchDir: string): Record<string, string> {
  const names = new Set<string>(["@store/core"]);
  for (const f of factories) for (const p of f.packages) names.add(p);
  const roots = [benchDir];
  // Transitive ones (e.g. @langchain/langgraph-checkpoint) live beside their dependents in pnpm's store.
  for (const direct of ["@langchain/langgraph", "unstorage", "@keyv/sqlite"]) {
    try {
      roots.push(
        path.resolve(
          fs.realpathSync(path.join(benchDir, "node_modules", direct)),
          "..",
          direct.includes("/") ? "../.." : "..",
        ),
      );
    } catch {
      // not installed
    }
  }
  const out: Record<string, string> = {};
  for (const n of [...names].sort()) out[n] = packageVersion(n, roots);
  return out;
}

const fmtInt = (n: number) => Math.round(n).toLocaleString("en-US");

export function formatOps(opsPerSec: number): string {
  if (!Number.isFinite(opsPerSec)) return "—";
  if (opsPerSec >= 100) return fmtInt(opsPerSec);
  if (opsPerSec >= 1) return opsPerSec.toFixed(1);
  return opsPerSec.toFixed(3);
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "—";
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  if (ms >= 0.1) return `${ms.toFixed(2)} ms`;
  return `${(ms * 1000).toFixed(1)} µs`;
}

export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

/** One scenario as a console table. */
export function consoleTable(r: ScenarioResult): string {
  const lines = [
    `  ${r.title} — ${fmtInt(r.size)} entries (${r.seconds.toFixed(1)} s, peak RSS ${mb(r.peakRssBytes)})`,
  ];
  for (const c of r.contenders) {
    if (c.status !== "ok") {
      lines.push(`    ${pad(c.id, 22)} FAILED: ${c.error}`);
      continue;
    }
    const limit = LIMIT_OF[c.id];
    const l = limit ? r.contenders.find((x) => x.id === limit) : undefined;
    const vs = l && l.status === "ok" ? `${formatRatio(ratio(c, l))} of ${limit}` : "";
    const unit = c.weight > 1 ? "entries/s" : "ops/s";
    lines.push(
      `    ${pad(c.id, 22)} ${pad(formatOps(c.opsPerSec), 12, true)} ${pad(unit, 9)} ${pad(formatMs(c.msPerOp), 10, true)}/op  ±${(c.spread * 50).toFixed(0).padStart(2)}%  ${vs}`,
    );
  }
  return lines.join("\n");
}

function mdEscape(s: string): string {
  return s.replace(/\|/g, "\\|");
}

export function markdown(report: Report, factories: SubjectFactory[]): string {
  const { run } = report;
  const out: string[] = [];
  const m = run.machine;
  out.push("# Benchmarks");
  out.push("");
  out.push(
    "Generated by `pnpm bench` (package `benchmarks/`, private). Do not edit by hand: the next full run rewrites it. " +
      "Every figure was measured in one process, side by side: after a warm-up, each contender runs a fixed number of " +
      "operations per round, rounds alternate between contenders (A B C, C B A, …), a full GC runs at the start of every " +
      "scenario and before a timed round whenever 32 MB of garbage piled up, " +
      "and the tables show medians. Ratios between contenders of one scenario are medians of per-round ratios, so the " +
      "drift of this shared machine cancels out; absolute figures drift, ratios hold.",
  );
  out.push("");
  out.push(
    `- Run: ${run.startedAt} (${run.mode}, ${(run.seconds / 60).toFixed(1)} min), \`${run.argv.join(" ") || "(no arguments)"}\``,
  );
  out.push(
    `- Machine: ${m.cpuModel}, ${m.cpus} CPUs, ${(m.memoryBytes / 1024 ** 3).toFixed(0)} GiB, ${m.platform} ${m.release} ${m.arch}; data in ${m.tmpdir} (${m.tmpFs})`,
  );
  out.push(
    `- Node ${m.node} (V8 ${m.v8}), ${run.gc ? "--expose-gc" : "no --expose-gc (no GC between rounds)"}`,
  );
  if (run.loadAverage) {
    out.push(
      `- Load average (1 min) at start and end: ${run.loadAverage.start.toFixed(1)} and ${run.loadAverage.end.toFixed(1)} on ${m.cpus} CPUs — a shared machine; compare ratios, not absolute figures`,
    );
  }
  out.push(
    `- Harness: ${run.harness.rounds} rounds, warm-up ${run.harness.warmupMs} ms, about ${run.harness.roundMs} ms per round (at most ${fmtInt(run.harness.maxOpsPerRound)} ops); sizes ${run.sizes.map(fmtInt).join(" and ")} entries of about 210 bytes of JSON; peak RSS of the whole run ${mb(run.peakRssBytes)}`,
  );
  out.push("");
  out.push("## Reproduce");
  out.push("");
  out.push("```sh");
  out.push("pnpm install");
  out.push(
    "pnpm bench               # full run: 10,000 and 100,000 entries, writes docs/BENCHMARKS.md and docs/benchmarks.json",
  );
  out.push(
    "pnpm bench -- --quick    # 10,000 entries, fewer rounds (< 3 min); writes to a temp dir unless --write",
  );
  out.push("pnpm bench -- --help     # filters: --only, --subjects, --sizes, --rounds");
  out.push("```");
  out.push("");
  out.push("## Targets");
  out.push("");
  out.push(
    "Stated in the backend issues (#3 local, #4 file, #5 command) and the benchmark issue (#7, peers). ",
  );
  out.push("");
  const primary = Math.max(...run.sizes);
  const others = run.sizes.filter((n) => n !== primary);
  out.push(
    `Evaluated at ${fmtInt(primary)} entries${others.length ? `; the last column shows the same ratio at ${others.map(fmtInt).join(", ")} entries` : ""}. A throughput bound compares ops/s (subject ÷ baseline); a time bound compares the duration of one operation.`,
  );
  out.push("");
  out.push(
    `| | issue | target | bound | measured | raw limit² |${others.length ? ` at ${others.map(fmtInt).join(", ")} |` : ""}`,
  );
  out.push(`|---|---|---|---|---|---|${others.length ? "---|" : ""}`);
  for (const t of report.targets.filter((x) => x.size === primary)) {
    const status = t.status === "pass" ? "✅ pass" : t.status === "fail" ? "❌ fail" : "— not measured";
    const bound = `${t.kind === "throughput" ? "≥" : "≤"} ${t.bound}×${t.kind === "time" ? " (time)" : ""}`;
    const shown = (x: TargetResult) =>
      x.status === "not measured" ? mdEscape(x.reason ?? "not measured") : formatRatio(x.measured);
    const rest = others.map((n) => {
      const o = report.targets.find((x) => x.id === t.id && x.size === n);
      return o ? `${shown(o)}${o.status === "fail" ? " ❌" : ""}` : "—";
    });
    out.push(
      `| ${status} | #${t.issue} | ${mdEscape(t.text)} | ${bound} | ${shown(t)} | ${t.limitRatio !== undefined ? formatRatio(t.limitRatio) : ""} |${rest.length ? ` ${rest.join(", ")} |` : ""}`,
    );
  }
  out.push("");
  out.push(
    "² The same ratio for the subject's raw limit (raw-sqlite for `local`, raw-file for `file`), measured in the same rounds, where the baseline is another library: what the subject would reach with no overhead of its own. A target the limit itself misses cannot be met by the backend's code alone.",
  );
  out.push("");
  out.push("## Subjects and versions");
  out.push("");
  out.push("| subject | what | packages | status |");
  out.push("|---|---|---|---|");
  for (const f of factories) {
    const statuses = report.subjects.filter((s) => s.id === f.id);
    const st = statuses
      .map((s) =>
        s.status === "ok"
          ? `${fmtInt(s.size)}: ok${s.entries !== s.size ? ` (holds ${fmtInt(s.entries ?? 0)})` : ""}${s.notes?.length ? ` — ${mdEscape(s.notes.join("; "))}` : ""}`
          : `${fmtInt(s.size)}: not measured (${mdEscape(s.reason ?? "")})`,
      )
      .join("; ");
    const pkgs = f.packages.map((p) => `${p} ${run.versions[p] ?? "?"}`).join(", ") || "Node built-ins";
    out.push(`| \`${f.id}\` | ${mdEscape(f.label)} | ${pkgs} | ${st || "skipped"} |`);
  }
  out.push("");
  out.push(
    `Core: @store/core ${run.versions["@store/core"] ?? "?"}. A postgres backend and raw \`pg\` limit are not measured yet (no backend exists; \`pg\` is not installed): their slot is \`postgres\` / \`raw-pg\` in src/main.ts.`,
  );
  out.push("");
  for (const size of run.sizes) {
    out.push(`## ${fmtInt(size)} entries`);
    out.push("");
    for (const s of SCENARIOS) {
      const r = report.scenarios.find((x) => x.size === size && x.id === s.id);
      if (!r) continue;
      out.push(`### ${r.title}`);
      out.push("");
      out.push(`${r.seconds.toFixed(1)} s, peak RSS ${mb(r.peakRssBytes)}.`);
      out.push("");
      out.push("| subject | median | per op | vs limit | spread¹ | note |");
      out.push("|---|---:|---:|---|---:|---|");
      for (const c of r.contenders) {
        if (c.status !== "ok") {
          out.push(`| \`${c.id}\` | — | — | — | — | failed: ${mdEscape(c.error ?? "")} |`);
          continue;
        }
        const limit = LIMIT_OF[c.id];
        const l = limit ? r.contenders.find((x) => x.id === limit) : undefined;
        const vs = l && l.status === "ok" ? `${formatRatio(ratio(c, l))} of \`${limit}\`` : "";
        const unit = c.weight > 1 ? " entries/s" : " ops/s";
        out.push(
          `| \`${c.id}\` | ${formatOps(c.opsPerSec)}${unit} | ${formatMs(c.msPerOp)} | ${vs} | ±${(c.spread * 50).toFixed(0)}% | ${mdEscape(c.note ?? "")} |`,
        );
      }
      out.push("");
    }
  }
  out.push(
    '¹ spread: half the range of the per-round figures, relative to the median. "vs limit" is the paired ratio to the raw limit of the same family measured in the same rounds.',
  );
  out.push("");
  out.push("## Memory held after setup");
  out.push("");
  out.push(
    "Heap (+ external) and RSS growth measured around each subject's setup, with a GC before and after. RSS includes SQLite page caches and is noisy; the in-memory reference shows what holding every entry in the heap costs.",
  );
  out.push("");
  out.push("| subject | entries | setup | heap | RSS |");
  out.push("|---|---:|---:|---:|---:|");
  for (const s of report.subjects) {
    if (s.status !== "ok" || !s.footprint) continue;
    out.push(
      `| \`${s.id}\` | ${fmtInt(s.entries ?? s.size)} | ${(s.setupSeconds ?? 0).toFixed(1)} s | ${mb(s.footprint.heapBytes)} | ${mb(s.footprint.rssBytes)} |`,
    );
  }
  out.push("");
  if (report.notes.length > 0) {
    out.push("## How each figure is measured");
    out.push("");
    for (const n of report.notes) out.push(`- ${n}`);
    out.push("");
  }
  return `${out.join("\n")}\n`;
}

export function writeReport(
  report: Report,
  factories: SubjectFactory[],
  dir: string,
): { md: string; json: string } {
  fs.mkdirSync(dir, { recursive: true });
  const md = path.join(dir, "BENCHMARKS.md");
  const json = path.join(dir, "benchmarks.json");
  fs.writeFileSync(md, markdown(report, factories));
  fs.writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  return { md, json };
}

export function printTargets(targets: TargetResult[], log: (line: string) => void): void {
  for (const t of targets) log(targetLine(t));
}
