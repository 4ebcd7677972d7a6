/**
 * The performance targets stated in the backend issues (#3 local, #4 file, #5 command) and in the
 * benchmark issue (#7, against peers). Each compares two measured figures; none is an absolute number,
 * because this machine is shared and noisy while ratios measured side by side hold.
 */
import { type ContenderResult, ratio, type ScenarioResult } from "./harness";
import type { ScenarioId } from "./subjects/types";

export interface Figure {
  scenario: ScenarioId;
  subject: string;
}

export interface Target {
  id: string;
  issue: number;
  /** What is promised, in the issue's words. */
  text: string;
  subject: Figure;
  baseline: Figure;
  /**
   * `throughput`: subject ops/s ÷ baseline ops/s must be ≥ `bound`.
   * `time`: subject time ÷ baseline time must be ≤ `bound` (for one-shot operations such as prune).
   */
  kind: "throughput" | "time";
  bound: number;
  /** The size the issue states the target at, when it states one. */
  statedAt?: number;
}

const f = (scenario: ScenarioId, subject: string): Figure => ({ scenario, subject });

export const TARGETS: Target[] = [
  // #3 @store/backend-local against raw better-sqlite3 running the same SQL (100,000 entries).
  {
    id: "local-get",
    issue: 3,
    text: "local get ≥ 0.8× raw",
    subject: f("get", "local"),
    baseline: f("get", "raw-sqlite"),
    kind: "throughput",
    bound: 0.8,
    statedAt: 100_000,
  },
  {
    id: "local-put",
    issue: 3,
    text: "local put ≥ 0.9× raw",
    subject: f("put", "local"),
    baseline: f("put", "raw-sqlite"),
    kind: "throughput",
    bound: 0.9,
    statedAt: 100_000,
  },
  {
    id: "local-newest-50",
    issue: 3,
    text: "local newest 50 ≥ 0.9× raw",
    subject: f("newest-50", "local"),
    baseline: f("newest-50", "raw-sqlite"),
    kind: "throughput",
    bound: 0.9,
    statedAt: 100_000,
  },
  {
    id: "local-put-retention",
    issue: 3,
    text: "local put with retention 500 ≥ 0.8× a plain raw put",
    subject: f("put-retention", "local"),
    baseline: f("put", "raw-sqlite"),
    kind: "throughput",
    bound: 0.8,
    statedAt: 100_000,
  },
  {
    id: "local-deep-cursor",
    issue: 3,
    text: "local page of 50 deep in the list, by cursor ≥ 0.5× the first page",
    subject: f("deep-cursor", "local"),
    baseline: f("newest-50", "local"),
    kind: "throughput",
    bound: 0.5,
    statedAt: 100_000,
  },
  {
    id: "local-prune-age",
    issue: 3,
    text: "local prune removing half the entries (by age) takes ≤ 1.2× raw's time",
    subject: f("prune-age", "local"),
    baseline: f("prune-age", "raw-sqlite"),
    kind: "time",
    bound: 1.2,
    statedAt: 100_000,
  },
  {
    id: "local-prune-count",
    issue: 3,
    text: "local prune removing half the entries (by count) takes ≤ 1.2× raw's time",
    subject: f("prune-count", "local"),
    baseline: f("prune-count", "raw-sqlite"),
    kind: "time",
    bound: 1.2,
    statedAt: 100_000,
  },

  // #4 @store/backend-file against raw files (100,000 entries).
  {
    id: "file-put",
    issue: 4,
    text: "file put ≥ 0.7× a raw atomic write (same fsync policy)",
    subject: f("put", "file"),
    baseline: f("put", "raw-file"),
    kind: "throughput",
    bound: 0.7,
    statedAt: 100_000,
  },
  {
    id: "file-get",
    issue: 4,
    text: "file get ≥ 0.5× raw readFileSync + JSON.parse",
    subject: f("get", "file"),
    baseline: f("get", "raw-file"),
    kind: "throughput",
    bound: 0.5,
    statedAt: 100_000,
  },
  {
    id: "file-newest-50",
    issue: 4,
    text: "file newest 50 ≥ 100× readdir + stat + sort",
    subject: f("newest-50", "file"),
    baseline: f("newest-50", "raw-file"),
    kind: "throughput",
    bound: 100,
    statedAt: 100_000,
  },
  {
    id: "file-prune-age",
    issue: 4,
    text: "file prune by age ≥ 5× the stat-everything approach",
    subject: f("prune-age", "file"),
    baseline: f("prune-age", "raw-file"),
    kind: "throughput",
    bound: 5,
    statedAt: 100_000,
  },

  // #5 @store/backend-command.
  {
    id: "command-v1-get",
    issue: 5,
    text: "v1 get ≥ 0.8× a bare spawn of the same sh -c command",
    subject: f("get", "command-v1"),
    baseline: f("get", "spawn-sh"),
    kind: "throughput",
    bound: 0.8,
  },
  {
    id: "command-v1-put",
    issue: 5,
    text: "v1 put ≥ 0.8× a bare spawn of the same sh -c command",
    subject: f("put", "command-v1"),
    baseline: f("put", "spawn-sh"),
    kind: "throughput",
    bound: 0.8,
  },
  {
    id: "command-v2-get-1",
    issue: 5,
    text: "v2 get ≥ 20× v1, one request in flight",
    subject: f("get", "command-v2"),
    baseline: f("get", "command-v1"),
    kind: "throughput",
    bound: 20,
  },
  {
    id: "command-v2-get-64",
    issue: 5,
    text: "v2 get ≥ 100× v1, 64 requests in flight",
    subject: f("get-64", "command-v2"),
    baseline: f("get", "command-v1"),
    kind: "throughput",
    bound: 100,
  },

  // #7 against the peers a user would pick instead.
  {
    id: "local-get-keyv",
    issue: 7,
    text: "local get ≥ 15× Keyv + @keyv/sqlite",
    subject: f("get", "local"),
    baseline: f("get", "keyv-sqlite"),
    kind: "throughput",
    bound: 15,
  },
  {
    id: "local-get-db0",
    issue: 7,
    text: "local get ≥ 2.5× unstorage + db0",
    subject: f("get", "local"),
    baseline: f("get", "unstorage-db0"),
    kind: "throughput",
    bound: 2.5,
  },
  {
    id: "local-put-keyv",
    issue: 7,
    text: "local put ≥ 2× Keyv + @keyv/sqlite (WAL)",
    subject: f("put", "local"),
    baseline: f("put", "keyv-sqlite"),
    kind: "throughput",
    bound: 2,
  },
  {
    id: "local-put-db0",
    issue: 7,
    text: "local put ≥ 0.9× unstorage + db0 (WAL)",
    subject: f("put", "local"),
    baseline: f("put", "unstorage-db0"),
    kind: "throughput",
    bound: 0.9,
  },
  {
    id: "file-get-unstorage",
    issue: 7,
    text: "file get ≥ 10× unstorage fs",
    subject: f("get", "file"),
    baseline: f("get", "unstorage-fs"),
    kind: "throughput",
    bound: 10,
  },
  {
    id: "file-newest-50-unstorage",
    issue: 7,
    text: "file newest 50 ≥ 100× unstorage fs (getKeys, then read and sort)",
    subject: f("newest-50", "file"),
    baseline: f("newest-50", "unstorage-fs"),
    kind: "throughput",
    bound: 100,
  },
];

/** The raw limit of each subject's family: what it would achieve with no overhead of its own. */
export const LIMIT_OF: Record<string, string> = {
  local: "raw-sqlite",
  "keyv-sqlite": "raw-sqlite",
  "keyv-sqlite-normal": "raw-sqlite",
  "unstorage-db0": "raw-sqlite",
  "unstorage-db0-normal": "raw-sqlite",
  "langgraph-memory": "raw-sqlite",
  file: "raw-file",
  "unstorage-fs": "raw-file",
  "command-v1": "spawn-sh",
  "command-v2": "spawn-sh",
};

export interface TargetResult {
  id: string;
  issue: number;
  text: string;
  size: number;
  status: "pass" | "fail" | "not measured";
  /** subject ÷ baseline throughput (`throughput`) or subject ÷ baseline time (`time`). */
  measured?: number;
  bound: number;
  kind: Target["kind"];
  /** How the ratio was formed: paired per-round medians, or the ratio of two medians. */
  method?: "paired" | "medians";
  /**
   * The same ratio for the subject's raw limit (e.g. raw-sqlite ÷ Keyv), when the baseline is another
   * library: the most the subject could reach with no overhead of its own, measured in the same rounds.
   */
  limitRatio?: number;
  reason?: string;
}

function find(results: ScenarioResult[], size: number, fig: Figure): ContenderResult | undefined {
  return results
    .find((r) => r.size === size && r.id === fig.scenario)
    ?.contenders.find((c) => c.id === fig.subject);
}

export function evaluate(target: Target, results: ScenarioResult[], size: number): TargetResult {
  const base = {
    id: target.id,
    issue: target.issue,
    text: target.text,
    size,
    bound: target.bound,
    kind: target.kind,
  };
  const a = find(results, size, target.subject);
  const b = find(results, size, target.baseline);
  const missing = [
    [a, target.subject],
    [b, target.baseline],
  ]
    .filter(([c]) => !c || (c as ContenderResult).status !== "ok")
    .map(([c, fig]) => {
      const { scenario, subject } = fig as Figure;
      const why = c ? `failed: ${(c as ContenderResult).error}` : "not measured";
      return `${subject} ${scenario} ${why}`;
    });
  if (missing.length > 0 || !a || !b) return { ...base, status: "not measured", reason: missing.join("; ") };
  const sameScenario = target.subject.scenario === target.baseline.scenario;
  const throughput = sameScenario ? ratio(a, b) : a.opsPerSec / b.opsPerSec;
  const measured = target.kind === "throughput" ? throughput : 1 / throughput;
  const pass = target.kind === "throughput" ? measured >= target.bound : measured <= target.bound;
  const limitId = LIMIT_OF[target.subject.subject];
  // A limit is a ceiling only for what it does the same way: raw-file for single-key ops (its list and
  // prune are the naive stat-everything way), spawn-sh for v1 (v2 does not spawn per op).
  const ceiling =
    target.subject.subject !== "command-v2" &&
    (limitId !== "raw-file" || ["get", "put", "delete"].includes(target.subject.scenario));
  const limit =
    limitId && ceiling && limitId !== target.baseline.subject && sameScenario
      ? find(results, size, { scenario: target.subject.scenario, subject: limitId })
      : undefined;
  const limitThroughput = limit?.status === "ok" ? ratio(limit, b) : undefined;
  return {
    ...base,
    status: pass ? "pass" : "fail",
    measured,
    method: sameScenario && a.samples.length === b.samples.length ? "paired" : "medians",
    ...(limitThroughput !== undefined && Number.isFinite(limitThroughput)
      ? { limitRatio: target.kind === "throughput" ? limitThroughput : 1 / limitThroughput }
      : {}),
  };
}

export function formatRatio(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return "—";
  if (x >= 100) return `${x.toFixed(0)}×`;
  if (x >= 10) return `${x.toFixed(1)}×`;
  return `${x.toFixed(2)}×`;
}

export function targetLine(t: TargetResult): string {
  const status = t.status === "pass" ? "PASS" : t.status === "fail" ? "FAIL" : "N/A ";
  const bound = `${t.kind === "throughput" ? "≥" : "≤"} ${t.bound}×${t.kind === "time" ? " time" : ""}`;
  const limit = t.limitRatio !== undefined ? ` (its raw limit: ${formatRatio(t.limitRatio)})` : "";
  const measured =
    t.status === "not measured"
      ? `not measured (${t.reason})`
      : `measured ${formatRatio(t.measured)}${limit}`;
  const size = `${t.size.toLocaleString("en-US")} entries`;
  return `${status} #${t.issue} ${t.text} — target ${bound}, ${measured} [${size}]`;
}
