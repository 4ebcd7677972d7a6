/**
 * A database as @store/backend-local 0.1.0 wrote it: schema version 1 (MIGRATIONS[0], unchanged since
 * that release) and rows written with that release's own upsert statement, copied here verbatim.
 */
import { createHash } from "node:crypto";
import Database from "better-sqlite3";
import { encodeKey } from "../src/key-encoding";
import { APPLICATION_ID, MIGRATIONS } from "../src/schema";

/** SHA-256 of the release's migration 1: migrations are appended, never edited. */
export const RELEASE_MIGRATION_1_SHA256 = "fb0b4b63f095d979d74e7d8ae122159b167087c507efd3925379de58be641808";

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The 0.1.0 upsert that also sets created_at (its import path). */
const RELEASE_UPSERT_WITH_CREATED = `INSERT INTO entries (store, project, key, value, task_id, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (store, project, key) DO UPDATE SET
    value = excluded.value, task_id = excluded.task_id, updated_at = excluded.updated_at, created_at = excluded.created_at`;

export interface ReleaseEntry {
  store: string;
  project: string;
  key: string;
  value: unknown;
  taskId: string;
  createdAt: string;
  updatedAt: string;
}

/** Writes `entries` into a new 0.1.0 database at `file`; `counted` projects get an entry count. */
export function writeReleaseDatabase(
  file: string,
  entries: ReleaseEntry[],
  counted: Array<{ store: string; project: string }> = [],
): void {
  const db = new Database(file);
  try {
    db.pragma("journal_mode = WAL");
    db.transaction(() => {
      db.exec(MIGRATIONS[0] as string);
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma("user_version = 1");
      const count = db.prepare(
        "INSERT INTO entry_counts (store, project, n) SELECT ?, ?, count(*) FROM entries WHERE store = ? AND project = ?",
      );
      // Counting first, as a put with retention did, so the triggers keep the counts from here on.
      for (const c of counted) count.run(c.store, c.project, c.store, c.project);
      const upsert = db.prepare(RELEASE_UPSERT_WITH_CREATED);
      for (const e of entries) {
        upsert.run(
          e.store,
          e.project,
          encodeKey(e.key),
          JSON.stringify(e.value),
          e.taskId,
          e.createdAt,
          e.updatedAt,
        );
      }
    }).immediate();
  } finally {
    db.close();
  }
}
