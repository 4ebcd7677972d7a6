import type { Dataset, DeleteOrder, KeySequence, SeedEntry } from "../dataset";
import type { Contender } from "../harness";

/** The scenarios, in the order they run (prune before the writes, so the seeded ages stay exact). */
export const SCENARIOS = [
  { id: "get", title: "get of a random existing key" },
  { id: "get-64", title: "get, 64 requests in flight" },
  { id: "newest-50", title: "list: the newest 50" },
  { id: "deep-offset", title: "list: 50 entries deep in the list (by offset)" },
  { id: "deep-cursor", title: "list: 50 entries deep in the list (by cursor)" },
  { id: "export", title: "export: every entry of a store of ~2 KB values, in list order" },
  { id: "prune-age", title: "prune by age" },
  { id: "prune-count", title: "prune by count" },
  { id: "prune-newest-500", title: "prune to the newest 500" },
  { id: "put", title: "put (overwrite a random key)" },
  { id: "put-if-version", title: "put with ifVersion (conditional overwrite of a random key)" },
  { id: "put-schema", title: "put on a store with a JSON Schema" },
  { id: "put-retention", title: "put (new key) on a store with retention max_entries 500" },
  { id: "delete", title: "delete of an existing key" },
  { id: "import", title: "import (bulk load into an empty store)" },
] as const;

export type ScenarioId = (typeof SCENARIOS)[number]["id"];

export type SubjectKind = "ours" | "limit" | "peer";

/** A prepared subject (a backend through StoreManager, a raw limit or a peer library) at one size. */
export interface Subject {
  id: string;
  /** Its contenders, one per scenario it takes part in. */
  contenders: Partial<Record<ScenarioId, Contender>>;
  /** Entries it holds (some subjects hold fewer than the run's size; the report says so). */
  entries: number;
  notes?: string[];
  close(): unknown;
}

/**
 * Data one subject lends to another of the same size, to save disk work: unstorage's fs driver reads
 * the raw-file directory (the same files in the format it uses), so 100,000 files are written and
 * deleted once instead of twice. Deleting a file costs ~2 ms on this machine's disk (online discard).
 */
export interface SharedData {
  jsonFiles?: {
    /** One `<key>.json` per entry, holding the value's JSON, mtime = the seeded updated_at. */
    dir: string;
    /** Writes entries there in that format (used to put deleted entries back). */
    write(entries: Iterable<SeedEntry>): void;
  };
}

export interface SubjectContext {
  size: number;
  shared: SharedData;
  /** A fresh directory for this subject alone. */
  dir: string;
  dataset: Dataset;
  keys: KeySequence;
  deletes: DeleteOrder;
  quick: boolean;
  log(line: string): void;
}

export interface SubjectFactory {
  id: string;
  label: string;
  kind: SubjectKind;
  /** Which dataset it uses: the sqlite subjects prune half the store, the file ones 1 %. */
  family: "sqlite" | "file" | "command" | "memory";
  /** Package names whose versions the report lists for this subject. */
  packages: string[];
  create(ctx: SubjectContext): Promise<Subject>;
}
