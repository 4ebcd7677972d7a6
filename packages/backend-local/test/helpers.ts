import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ResourceSet, StoreManager, type WorkflowStoreConfig } from "@store/core";
import type { PutOptions, PutRecord, StoreRef } from "@store/core/backend";
import { FakeClock } from "@store/testkit";
import type Database from "better-sqlite3";
import { afterEach } from "vitest";
import { type LocalBackend, type LocalBackendOptions, localBackend } from "../src/index";

const dirs: string[] = [];
const managers: StoreManager[] = [];

afterEach(async () => {
  for (const m of managers.splice(0)) await m.close().catch(() => {});
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh directory, removed after the test. */
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "backend-local-"));
  dirs.push(dir);
  return dir;
}

export interface Opened {
  manager: StoreManager;
  clock: FakeClock;
  dataDir: string;
  /** The backend instance serving `store` (opening it if needed). */
  backend(store?: string): Promise<LocalBackend>;
}

/**
 * A StoreManager whose stores use this backend as the builtin `local` provider, with `options`
 * given through a declared provider as a manifest would, and a fake clock. Closed after the test.
 */
export function openManager(
  init: {
    dataDir?: string;
    options?: LocalBackendOptions;
    stores?: Array<Partial<WorkflowStoreConfig> & { name: string }>;
  } = {},
): Opened {
  const dataDir = init.dataDir ?? tempDir();
  const clock = new FakeClock();
  const resources = new ResourceSet({
    providers: init.options
      ? [{ name: "local", mode: "plugin", plugin: "local", spec: { plugin: "local", options: init.options } }]
      : [],
    stores: (init.stores ?? []).map((s) => ({ provider: "local", retention: {}, ...s })),
  });
  const manager = new StoreManager({ dataDir, resources, backends: [localBackend], now: clock.now });
  managers.push(manager);
  return {
    manager,
    clock,
    dataDir,
    async backend(store = "s") {
      return (await manager.resolve(store, "")).backend as unknown as LocalBackend;
    },
  };
}

/** The ref most direct-call tests use. */
export const ref: StoreRef = { store: "s", project: "" };

/** A record as core would hand it to the backend. */
export function record(
  key: string,
  value: unknown,
  updatedAt: string,
  extra: Partial<PutRecord> = {},
): PutRecord {
  return {
    key,
    value: value as PutRecord["value"],
    json: JSON.stringify(value),
    taskId: "",
    updatedAt,
    ...extra,
  };
}

/** `second` seconds into 2026, as core formats timestamps. */
export const ts = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();

/** Rows of a project beside its count in `projects` (null: not counted) and its floor. */
export function projectState(db: Database.Database, store = "s", project = "") {
  const actual = db
    .prepare("SELECT count(*) FROM entries WHERE store = ? AND project = ?")
    .pluck()
    .get(store, project);
  const row = db
    .prepare("SELECT n, floor FROM projects WHERE store = ? AND project = ?")
    .get(store, project) as { n: number | null; floor: number } | undefined;
  return { actual, counted: row?.n ?? null, floor: row?.floor ?? 0 };
}

/** A put that must succeed: its version. */
export function mustPut(b: LocalBackend, r: PutRecord, options: PutOptions = {}, at: StoreRef = ref): number {
  const v = b.put(at, r, options);
  if (typeof v !== "number") throw new Error(`put of ${r.key} conflicted: ${JSON.stringify(v)}`);
  return v;
}
