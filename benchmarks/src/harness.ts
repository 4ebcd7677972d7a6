import { getHeapStatistics } from "node:v8";

/**
 * The timing core: warm-up and calibration, interleaved rounds with fixed op counts, medians, paired
 * ratios and peak memory. No benchmark library: `process.hrtime.bigint()` around fixed-size loops.
 */

/** One contestant in a scenario: a subject's way of doing the scenario's operation. */
export interface Contender {
  /** The subject's id, e.g. `local`, `raw-sqlite`, `keyv-sqlite`. Ratios and targets refer to it. */
  id: string;
  /** One timed run of `ops` operations; `start` is a running index, so successive runs touch new keys. */
  run(ops: number, start: number): unknown;
  /** Untimed, after every run (warm-up included): puts back the state the next run expects. */
  reset?(ops: number, start: number): unknown;
  /** Operations per run. Absent: calibrated from the warm-up so that a run lasts about `roundMs`. */
  fixedOps?: number;
  /** Logical operations per op (an import of 100,000 entries is one op of weight 100,000). Default 1. */
  weight?: number;
  /** Skip the warm-up run (for single-shot scenarios whose setup is expensive). */
  noWarmup?: boolean;
  /** Fewer rounds than the scenario's, for contenders whose single op takes seconds. */
  maxRounds?: number;
  /** A note shown beside the figure in the report (what exactly was measured). */
  note?: string;
}

export interface HarnessOptions {
  /** Timed rounds per contender. */
  rounds: number;
  /** Warm-up budget per contender, also used to calibrate the op count. */
  warmupMs: number;
  /** Target duration of one timed run. */
  roundMs: number;
  /** Upper bound on ops per run (keeps mutating scenarios from growing a store without bound). */
  maxOpsPerRound: number;
  log?: (line: string) => void;
}

export interface ContenderResult {
  id: string;
  status: "ok" | "failed";
  error?: string;
  note?: string;
  opsPerRun: number;
  weight: number;
  /** Throughput of each timed round, in logical ops per second, in round order. */
  samples: number[];
  /** Median throughput (logical ops/s). */
  opsPerSec: number;
  /** Median duration of one op (not weighted), in milliseconds. */
  msPerOp: number;
  /** (max − min) / median of the samples: how noisy this contender was. */
  spread: number;
}

export interface ScenarioResult {
  id: string;
  title: string;
  size: number;
  contenders: ContenderResult[];
  /** Largest RSS seen while the scenario ran (sampled after every run and every 20 ms when idle). */
  peakRssBytes: number;
  seconds: number;
}

export interface ScenarioSpec {
  id: string;
  title: string;
  size: number;
  contenders: Contender[];
  /** Overrides of the harness options for this scenario (e.g. fewer rounds for slow ones). */
  options?: Partial<HarnessOptions>;
}

const gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc;

export function hasGc(): boolean {
  return gc !== undefined;
}

/** Heap growth since the last full GC that triggers another one before a timed run. */
const GC_THRESHOLD_BYTES = 32 * 1024 * 1024;
let heapAfterGc = 0;

/**
 * A full GC before a timed run when garbage has piled up since the last one (or when forced), so no
 * contender pays for another's garbage. Not before every run: with 100,000 entries in memory (the
 * in-memory reference) one full GC costs tens of milliseconds on this machine.
 */
export function collect(force = false): void {
  if (!gc) return;
  if (force || getHeapStatistics().used_heap_size - heapAfterGc > GC_THRESHOLD_BYTES) {
    gc();
    heapAfterGc = getHeapStatistics().used_heap_size;
  }
}

/** Runs `fn` and returns its duration in nanoseconds; awaits only when `fn` returned a promise. */
async function timed(fn: () => unknown): Promise<number> {
  const t0 = process.hrtime.bigint();
  const r = fn();
  if (r !== null && typeof r === "object" && typeof (r as Promise<unknown>).then === "function") await r;
  return Number(process.hrtime.bigint() - t0);
}

async function settle(value: unknown): Promise<void> {
  if (value !== null && typeof value === "object" && typeof (value as Promise<unknown>).then === "function") {
    await value;
  }
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Tracks the peak RSS of a scenario: explicit samples between runs plus a timer while the loop idles. */
export class RssTracker {
  peak = 0;
  private timer?: NodeJS.Timeout;

  start(): void {
    this.peak = process.memoryUsage.rss();
    this.timer = setInterval(() => this.sample(), 20);
    this.timer.unref();
  }

  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
  }

  stop(): number {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    return this.peak;
  }
}

interface LiveContender {
  c: Contender;
  ops: number;
  next: number;
  samples: number[];
  error?: string;
}

/**
 * Runs a scenario: each contender is warmed up (and its op count calibrated), then the timed rounds
 * interleave the contenders, A B C, C B A, A B C …, so slow drift of a shared noisy machine hits all of
 * them alike. A garbage collection runs before every timed run, outside the timing.
 */
export async function runScenario(spec: ScenarioSpec, base: HarnessOptions): Promise<ScenarioResult> {
  const o = { ...base, ...spec.options };
  const log = o.log ?? (() => {});
  const rss = new RssTracker();
  const began = Date.now();
  rss.start();
  const live: LiveContender[] = spec.contenders.map((c) => ({
    c,
    ops: c.fixedOps ?? 1,
    next: 0,
    samples: [],
  }));

  collect(true);
  for (const l of live) {
    try {
      await warmUp(l, o);
    } catch (error) {
      l.error = describeError(error);
      log(`    ${l.c.id}: FAILED in warm-up: ${l.error}`);
    }
    rss.sample();
  }

  for (let round = 0; round < o.rounds; round++) {
    const order = round % 2 === 0 ? live : [...live].reverse();
    for (const l of order) {
      if (l.error || (l.c.maxRounds !== undefined && l.samples.length >= l.c.maxRounds)) continue;
      try {
        collect();
        const start = l.next;
        const ns = await timed(() => l.c.run(l.ops, start));
        l.next += l.ops;
        rss.sample();
        if (l.c.reset) await settle(l.c.reset(l.ops, start));
        l.samples.push((l.ops * (l.c.weight ?? 1) * 1e9) / Math.max(ns, 1));
      } catch (error) {
        l.error = describeError(error);
        log(`    ${l.c.id}: FAILED in round ${round + 1}: ${l.error}`);
      }
    }
  }

  const peakRssBytes = rss.stop();
  const contenders = live.map((l): ContenderResult => {
    const weight = l.c.weight ?? 1;
    const opsPerSec = median(l.samples);
    const spread = l.samples.length > 1 ? (Math.max(...l.samples) - Math.min(...l.samples)) / opsPerSec : 0;
    const failed = l.error !== undefined || l.samples.length === 0;
    return {
      id: l.c.id,
      status: failed ? "failed" : "ok",
      ...(failed ? { error: l.error ?? "no sample" } : {}),
      ...(l.c.note ? { note: l.c.note } : {}),
      opsPerRun: l.ops,
      weight,
      samples: l.samples,
      opsPerSec,
      msPerOp: (1000 * weight) / opsPerSec,
      spread,
    };
  });
  return {
    id: spec.id,
    title: spec.title,
    size: spec.size,
    contenders,
    peakRssBytes,
    seconds: (Date.now() - began) / 1000,
  };
}

/** Warm-up: repeated runs, growing 4× while short, until the budget is spent; then fixes the op count. */
async function warmUp(l: LiveContender, o: HarnessOptions): Promise<void> {
  const { c } = l;
  if (c.fixedOps !== undefined) {
    l.ops = c.fixedOps;
    if (c.noWarmup) return;
    const start = l.next;
    await timed(() => c.run(l.ops, start));
    l.next += l.ops;
    if (c.reset) await settle(c.reset(l.ops, start));
    return;
  }
  let ops = 1;
  let spent = 0;
  let rate = 0;
  const budgetNs = o.warmupMs * 1e6;
  for (;;) {
    const start = l.next;
    const ns = Math.max(await timed(() => c.run(ops, start)), 1);
    l.next += ops;
    if (c.reset) await settle(c.reset(ops, start));
    spent += ns;
    rate = (ops * 1e9) / ns;
    if (spent >= budgetNs || ops >= o.maxOpsPerRound) break;
    // Grow while a run is much shorter than a round, so the rate is measured on a meaningful batch.
    if (ns < (o.roundMs * 1e6) / 4) ops = Math.min(ops * 4, o.maxOpsPerRound);
  }
  l.ops = Math.max(1, Math.min(o.maxOpsPerRound, Math.round((rate * o.roundMs) / 1000)));
}

/**
 * The ratio A/B of throughputs. When both were measured in the same rounds, the median of the
 * per-round ratios (paired, so drift between rounds cancels); otherwise the ratio of the medians.
 */
export function ratio(a: ContenderResult, b: ContenderResult): number {
  if (a.status !== "ok" || b.status !== "ok") return Number.NaN;
  if (a.samples.length === b.samples.length && a.samples.length > 0) {
    return median(a.samples.map((s, i) => s / (b.samples[i] as number)));
  }
  return a.opsPerSec / b.opsPerSec;
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${typeof code === "string" ? `${code}: ` : ""}${error.message}`.split("\n")[0] as string;
  }
  return String(error);
}

/** Memory held by a subject after its setup: heap and RSS growth, measured around it with GCs. */
export interface Footprint {
  heapBytes: number;
  rssBytes: number;
}

export async function measureFootprint<T>(fn: () => Promise<T>): Promise<{ value: T; footprint: Footprint }> {
  collect(true);
  const before = process.memoryUsage();
  const value = await fn();
  collect(true);
  const after = process.memoryUsage();
  return {
    value,
    footprint: {
      heapBytes: after.heapUsed + after.external - (before.heapUsed + before.external),
      rssBytes: after.rss - before.rss,
    },
  };
}
