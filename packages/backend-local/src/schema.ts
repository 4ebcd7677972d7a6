import { StoreError } from "@store/core";
import type { Database } from "better-sqlite3";
import { PREFIX } from "./errors";

/** `PRAGMA application_id` of our files ("wfst"), so we never migrate someone else's database. */
export const APPLICATION_ID = 0x77667374;

/**
 * Migrations, in order; `PRAGMA user_version` is how many have run. Append, never edit: a database
 * written by an older release is brought up to date on open, and a newer one is refused.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: entries keyed by (store, project, key), the recency index, and per-project entry counts.
  `
  CREATE TABLE entries (
    store      TEXT NOT NULL,
    project    TEXT NOT NULL,
    key        TEXT NOT NULL, -- the key in sort order form: see key-encoding.ts
    value      TEXT NOT NULL, -- JSON, exactly as core serialized it
    task_id    TEXT NOT NULL,
    created_at TEXT NOT NULL, -- RFC 3339 UTC with milliseconds: compares as text
    updated_at TEXT NOT NULL,
    PRIMARY KEY (store, project, key)
  ) WITHOUT ROWID;

  -- List order (newest first, ties by key) is this index's order, so pages, cursors and retention
  -- walk it instead of sorting.
  CREATE INDEX entries_recency ON entries (store, project, updated_at DESC, key);

  -- How many entries each project holds, for projects that have used retention: a put then knows in
  -- O(1) whether it must trim, instead of counting the project. Triggers keep it exact, whoever writes.
  CREATE TABLE entry_counts (
    store   TEXT NOT NULL,
    project TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (store, project)
  ) WITHOUT ROWID;

  CREATE TRIGGER entries_counted_insert AFTER INSERT ON entries BEGIN
    UPDATE entry_counts SET n = n + 1 WHERE store = NEW.store AND project = NEW.project;
  END;

  CREATE TRIGGER entries_counted_delete AFTER DELETE ON entries BEGIN
    UPDATE entry_counts SET n = n - 1 WHERE store = OLD.store AND project = OLD.project;
  END;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

function readVersion(db: Database): { version: number; applicationId: number } {
  return {
    version: db.pragma("user_version", { simple: true }) as number,
    applicationId: db.pragma("application_id", { simple: true }) as number,
  };
}

/** Refuses files that are not ours, or that a newer release of this package has written. */
function checkCompatible(db: Database, file: string, version: number, applicationId: number): void {
  const foreign =
    (applicationId !== 0 && applicationId !== APPLICATION_ID) ||
    (applicationId === 0 && (db.prepare("SELECT count(*) FROM sqlite_schema").pluck().get() as number) > 0);
  if (foreign) {
    throw new StoreError(
      "BACKEND_IO",
      `${PREFIX} ${file} is not a database of @store/backend-local (it holds other data); choose another \`path\``,
      { details: { file, applicationId } },
    );
  }
  if (version > SCHEMA_VERSION) {
    throw new StoreError(
      "BACKEND_IO",
      `${PREFIX} ${file} has schema version ${version}, written by a newer @store/backend-local (this one knows ${SCHEMA_VERSION}); upgrade the package`,
      { details: { file, version, known: SCHEMA_VERSION } },
    );
  }
}

/**
 * Brings the schema up to date. The common case (already current) only reads two pragmas. Otherwise
 * the migration runs under BEGIN IMMEDIATE and re-reads the version inside it, so when several
 * processes open a fresh file at once exactly one migrates and the others see its result.
 */
export function migrate(db: Database, file: string): void {
  const before = readVersion(db);
  checkCompatible(db, file, before.version, before.applicationId);
  if (before.version === SCHEMA_VERSION) return;
  db.transaction(() => {
    const { version, applicationId } = readVersion(db);
    if (version !== before.version) checkCompatible(db, file, version, applicationId);
    for (let v = version; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v] as string);
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
