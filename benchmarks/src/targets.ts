/**
 * The performance targets stated in the backend issues (#3 local, #4 file, #5 command, #12 postgres)
 * and in the benchmark issue (#7, against peers). Each compares two measured figures; none is an absolute number,
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
  /**
   * For a subject and baseline in two scenarios: a contender run side by side in both (a raw limit
   * doing the same work in each). The ratio is then (subject ÷ via) ÷ (baseline ÷ via), each paired
   * per round, so the machine's drift between the two scenarios cancels.
   */
  via?: string;
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

  // #15 @store/backend-local against the best raw schema for the job (raw-sqlite, written by hand).
  {
    id: "local-put-retention-raw",
    issue: 15,
    text: "local put with retention 500 ≥ 0.8× the raw schema's put with retention",
    subject: f("put-retention", "local"),
    baseline: f("put-retention", "raw-sqlite"),
    kind: "throughput",
    bound: 0.8,
    statedAt: 100_000,
  },
  {
    id: "local-deep-offset",
    issue: 15,
    text: "local page of 50 at offset 50,000 ≥ 0.8× raw",
    subject: f("deep-offset", "local"),
    baseline: f("deep-offset", "raw-sqlite"),
    kind: "throughput",
    bound: 0.8,
    statedAt: 100_000,
  },
  {
    id: "local-prune-newest-500",
    issue: 15,
    text: "local prune to the newest 500 takes ≤ 1.25× raw's time (≥ 0.8× its speed)",
    subject: f("prune-newest-500", "local"),
    baseline: f("prune-newest-500", "raw-sqlite"),
    kind: "time",
    bound: 1.25,
    statedAt: 100_000,
  },
  {
    id: "local-export",
    issue: 15,
    text: "local export of ~2 KB values ≥ 0.8× a raw SELECT scan of the same rows",
    subject: f("export", "local"),
    baseline: f("export", "raw-sqlite"),
    kind: "throughput",
    bound: 0.8,
    statedAt: 100_000,
  },

  // #11 conditional writes on @store/backend-local: the condition is part of the write's statement.
  // Each of local's two figures is paired with raw-sqlite's in its own scenario (a plain and a
  // conditional one-statement write, which cost the same), so the drift between the scenarios cancels.
  {
    id: "local-put-if-version",
    issue: 11,
    text: "local conditional put (ifVersion) costs ≤ 1.1× a plain put",
    subject: f("put-if-version", "local"),
    baseline: f("put", "local"),
    kind: "time",
    bound: 1.1,
    via: "raw-sqlite",
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

  // #11 conditional writes on @store/backend-file: the check runs under the lock the write takes anyway.
  {
    id: "file-put-if-version",
    issue: 11,
    text: "file conditional put (ifVersion) costs ≤ 1.1× a plain put",
    subject: f("put-if-version", "file"),
    baseline: f("put", "file"),
    kind: "time",
    bound: 1.1,
    via: "raw-file",
  },

  // #5 @store/backend-command.
  // #13: a v1 op costs at most 1.1× execa's own floor, a bare execa call of the same command.
  {
    id: "command-v1-get",
    issue: 13,
    text: "v1 get costs ≤ 1.1× a bare execa call of the same sh -c command",
    subject: f("get", "command-v1"),
    baseline: f("get", "execa-sh"),
    kind: "time",
    bound: 1.1,
  },
  {
    id: "command-v1-put",
    issue: 13,
    text: "v1 put costs ≤ 1.1× a bare execa call of the same sh -c command",
    subject: f("put", "command-v1"),
    baseline: f("put", "execa-sh"),
    kind: "time",
    bound: 1.1,
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

  // #12 @store/backend-postgres against raw `pg` running the same statements on the same pool.
  {
    id: "postgres-get",
    issue: 12,
    text: "postgres get ≥ 0.85× raw pg, same SQL, same pool",
    subject: f("get", "postgres"),
    baseline: f("get", "raw-pg"),
    kind: "throughput",
    bound: 0.85,
  },
  {
    id: "postgres-put",
    issue: 12,
    text: "postgres put ≥ 0.85× raw pg, same SQL, same pool",
    subject: f("put", "postgres"),
    baseline: f("put", "raw-pg"),
    kind: "throughput",
    bound: 0.85,
  },
  {
    id: "postgres-deep-cursor",
    issue: 12,
    text: "postgres page of 50 deep in the list, by cursor ≥ 0.5× the first page",
    subject: f("deep-cursor", "postgres"),
    baseline: f("newest-50", "postgres"),
    kind: "throughput",
    bound: 0.5,
  },
  {
    id: "postgres-prune-count",
    issue: 12,
    text: "postgres prune of half the store (50,000 at 100,000) by count, one statement, takes ≤ 1.2× raw's time",
    subject: f("prune-count", "postgres"),
    baseline: f("prune-count", "raw-pg"),
    kind: "time",
    bound: 1.2,
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
  "command-v1": "execa-sh",
  "command-v2": "execa-sh",
  postgres: "raw-pg",
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

/** (subject ÷ via) ÷ (baseline ÷ via), both paired; undefined without a `via` measured in both scenarios. */
function ratioVia(
  target: Target,
  results: ScenarioResult[],
  size: number,
  a: ContenderResult,
  b: ContenderResult,
): number | undefined {
  if (!target.via) return undefined;
  const viaA = find(results, size, { scenario: target.subject.scenario, subject: target.via });
  const viaB = find(results, size, { scenario: target.baseline.scenario, subject: target.via });
  if (viaA?.status !== "ok" || viaB?.status !== "ok") return undefined;
  const r = ratio(a, viaA) / ratio(b, viaB);
  return Number.isFinite(r) ? r : undefined;
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
  const viaRatio = sameScenario ? undefined : ratioVia(target, results, size, a, b);
  const throughput = sameScenario ? ratio(a, b) : (viaRatio ?? a.opsPerSec / b.opsPerSec);
  const measured = target.kind === "throughput" ? throughput : 1 / throughput;
  const pass = target.kind === "throughput" ? measured >= target.bound : measured <= target.bound;
  const limitId = LIMIT_OF[target.subject.subject];
  // A limit is a ceiling only for what it does the same way: raw-file for single-key ops (its list and
  // prune are the naive stat-everything way), execa-sh for v1 (v2 does not spawn per op).
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
    method:
      (sameScenario && a.samples.length === b.samples.length) || viaRatio !== undefined
        ? "paired"
        : "medians",
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
