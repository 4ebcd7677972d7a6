/**
 * The data every subject holds: N entries of about 200 bytes of JSON, with known timestamps, so list
 * positions, cursors and prune results are known in advance and identical for every subject.
 */

const DAY_MS = 86_400_000;

/** A type alias (not an interface), so it is assignable to core's JsonValue. */
export type BenchValue = {
  task: string;
  id: number;
  test_count: number;
  passed: boolean;
  duration_ms: number;
  tags: string[];
  summary: string;
  rev: number;
};

/** About 200 bytes serialized (211 for a typical entry). `rev` changes on every overwrite. */
export function valueFor(i: number, rev = 0): BenchValue {
  return {
    task: "nightly-bench",
    id: i,
    test_count: i % 997,
    passed: i % 7 !== 0,
    duration_ms: 1000 + (i % 5000) / 4,
    tags: ["ci", "linux", "x64"],
    summary: "regression suite of the storage layer; lessons: keep values small and flat",
    rev,
  };
}

const NOTES_TEXT =
  "run notes: the storage layer passed its suite; flaky cases were retried once and kept in the log. ";

/** About 2 KB serialized (values that fill most of a 4 KiB page): the export scenario's entries. */
export function exportValueFor(i: number): BenchValue & { notes: string[] } {
  return { ...valueFor(i), notes: Array.from({ length: 18 }, (_, n) => `${n + 1}. ${NOTES_TEXT}`) };
}

/** The export scenario's entries, with the dataset's timestamps. */
export function* exportEntries(
  ds: Dataset,
): Generator<Omit<SeedEntry, "value"> & { value: ReturnType<typeof exportValueFor> }> {
  for (let i = 0; i < ds.size; i++) {
    const at = ds.updatedAt(i);
    yield { key: keyFor(i), value: exportValueFor(i), updatedAt: at, createdAt: at, taskId: "seed" };
  }
}

/** The JSON Schema of the `put with a schema` scenario; every `valueFor` satisfies it. */
export const VALUE_SCHEMA = {
  type: "object",
  required: ["task", "id", "test_count", "passed"],
  properties: {
    task: { type: "string", minLength: 1 },
    id: { type: "integer", minimum: 0 },
    test_count: { type: "integer", minimum: 0 },
    passed: { type: "boolean" },
    duration_ms: { type: "number", minimum: 0 },
    tags: { type: "array", items: { type: "string" }, maxItems: 16 },
    summary: { type: "string", maxLength: 1000 },
    rev: { type: "integer" },
  },
} as const;

export function keyFor(i: number): string {
  return `bench_${String(i).padStart(6, "0")}`;
}

export interface SeedEntry {
  key: string;
  value: BenchValue;
  updatedAt: string;
  createdAt: string;
  taskId: string;
}

/**
 * Entry `i` is older than entry `i + 1`, so list position `p` (newest first) holds entry `N − 1 − p`.
 * The first `oldCount` entries lie 3 to 4 days in the past and the others within the last day, so a
 * prune with ttl_days = 2 (or max_entries = N − oldCount) removes exactly the first `oldCount`,
 * whatever minutes pass during the run.
 */
export class Dataset {
  readonly now: number;
  private readonly stamps: string[];
  private readonly stampsMs: number[];

  constructor(
    readonly size: number,
    readonly oldCount: number,
    now = Date.now(),
  ) {
    this.now = now;
    this.stamps = new Array(size);
    this.stampsMs = new Array(size);
    const oldStart = now - 4 * DAY_MS;
    const newStart = now - DAY_MS;
    const oldStep = Math.max(1, Math.floor(DAY_MS / Math.max(oldCount, 1)));
    const newStep = Math.max(1, Math.floor(DAY_MS / 2 / Math.max(size - oldCount, 1)));
    for (let i = 0; i < size; i++) {
      const ms = i < oldCount ? oldStart + i * oldStep : newStart + (i - oldCount) * newStep;
      this.stampsMs[i] = ms;
      this.stamps[i] = new Date(ms).toISOString();
    }
  }

  /** ttl_days that removes exactly the `oldCount` oldest entries. */
  readonly pruneTtlDays = 2;

  /** max_entries that removes exactly the `oldCount` oldest entries. */
  get pruneMaxEntries(): number {
    return this.size - this.oldCount;
  }

  updatedAt(i: number): string {
    return this.stamps[i] as string;
  }

  updatedAtMs(i: number): number {
    return this.stampsMs[i] as number;
  }

  entry(i: number): SeedEntry {
    const at = this.stamps[i] as string;
    return { key: keyFor(i), value: valueFor(i), updatedAt: at, createdAt: at, taskId: "seed" };
  }

  /** Entries `from` (inclusive) to `to` (exclusive), lazily. */
  *entries(from = 0, to = this.size): Generator<SeedEntry> {
    for (let i = from; i < to; i++) yield this.entry(i);
  }

  /** The entry index at list position `p` (0 = newest). */
  atPosition(p: number): number {
    return this.size - 1 - p;
  }

  /** Where the "deep" pages start: the middle of the list (50,000 at 100,000 entries). */
  get deepPosition(): number {
    return Math.floor(this.size / 2);
  }
}

/** A fixed pseudo-random sequence of entry indexes (xorshift32), the same for every subject. */
export class KeySequence {
  private readonly seq: Uint32Array;
  private readonly mask: number;

  constructor(size: number, seed = 0x9e3779b9, length = 1 << 16) {
    this.seq = new Uint32Array(length);
    this.mask = length - 1;
    let x = seed >>> 0 || 1;
    for (let i = 0; i < length; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      this.seq[i] = x % size;
    }
  }

  /** The `n`-th index of the sequence (wraps around). */
  at(n: number): number {
    return this.seq[n & this.mask] as number;
  }
}

/**
 * Indexes for the delete scenario: a permutation, so a run deletes distinct existing keys and its
 * reset puts exactly those back. Only the newer entries (>= oldCount), so prune stays exact.
 */
export class DeleteOrder {
  private readonly order: Uint32Array;

  constructor(
    readonly size: number,
    oldCount: number,
    seed = 0x85ebca6b,
  ) {
    const n = size - oldCount;
    this.order = new Uint32Array(n);
    for (let i = 0; i < n; i++) this.order[i] = oldCount + i;
    let x = seed >>> 0 || 1;
    for (let i = n - 1; i > 0; i--) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      const j = x % (i + 1);
      const t = this.order[i] as number;
      this.order[i] = this.order[j] as number;
      this.order[j] = t;
    }
  }

  at(n: number): number {
    return this.order[n % this.order.length] as number;
  }
}
