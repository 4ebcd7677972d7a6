import type { Database } from "better-sqlite3";
import { errors } from "./errors";

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
  // 2: a rowid table with integer millisecond timestamps and entry versions; the per-project counts
  // become a table of project state that also keeps each project's version floor (README, Migrations).
  `
  CREATE TABLE entries_v2 (
    id         INTEGER PRIMARY KEY,
    store      TEXT NOT NULL,
    project    TEXT NOT NULL,
    key        TEXT NOT NULL,    -- the key in sort order form: see key-encoding.ts
    updated_at INTEGER NOT NULL, -- epoch milliseconds
    version    INTEGER NOT NULL, -- grows with every write of the key: see nextVersion in core
    created_at INTEGER NOT NULL, -- epoch milliseconds
    task_id    TEXT NOT NULL,
    value      TEXT NOT NULL     -- JSON, exactly as core serialized it; last, so reading the other
                                 -- columns never steps over a large value
  );

  -- Oldest first, so rowids follow time as they do for later writes.
  INSERT INTO entries_v2 (store, project, key, updated_at, version, created_at, task_id, value)
    SELECT store, project, key,
      strftime('%s', updated_at) * 1000 + CAST(substr(updated_at, 21, 3) AS INTEGER),
      1,
      strftime('%s', created_at) * 1000 + CAST(substr(created_at, 21, 3) AS INTEGER),
      task_id, value
    FROM entries ORDER BY store, project, updated_at, key DESC;

  -- One row per project that used retention or lost an entry. n: how many entries it holds, once
  -- retention counted them (NULL: not counted); floor: at least every version ever removed from it,
  -- so a deleted and re-created key never repeats a version.
  CREATE TABLE projects (
    store   TEXT NOT NULL,
    project TEXT NOT NULL,
    n       INTEGER,
    floor   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (store, project)
  ) WITHOUT ROWID;
  INSERT INTO projects (store, project, n) SELECT store, project, n FROM entry_counts;

  DROP TABLE entries;
  DROP TABLE entry_counts;
  ALTER TABLE entries_v2 RENAME TO entries;

  -- Puts, gets and deletes find a key here.
  CREATE UNIQUE INDEX entries_key ON entries (store, project, key);
  -- List order (newest first, ties by key). Pages, cursors, retention and prune walk it without
  -- touching the table; version is here so prune finds the largest version it removes the same way.
  CREATE INDEX entries_recency ON entries (store, project, updated_at DESC, key, version);

  -- Inserts keep a counted project's n: one statement cannot both upsert and say whether it inserted.
  -- Removals keep n and floor in the backend's own statements, once per statement rather than per row.
  CREATE TRIGGER entries_counted_insert AFTER INSERT ON entries BEGIN
    UPDATE projects SET n = n + 1 WHERE store = NEW.store AND project = NEW.project AND n IS NOT NULL;
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
    throw errors.error(
      "BACKEND_IO",
      `${file} is not a database of @store/backend-local (it holds other data); choose another \`path\``,
      { details: { file, applicationId } },
    );
  }
  if (version > SCHEMA_VERSION) {
    throw errors.error(
      "BACKEND_IO",
      `${file} has schema version ${version}, written by a newer @store/backend-local (this one knows ${SCHEMA_VERSION}); upgrade the package`,
      { details: { file, version, known: SCHEMA_VERSION } },
    );
  }
}

/**
 * Brings the schema up to date, and resolves the version it upgraded the file from (`undefined` when
 * there was nothing to do). The common case (already current) only reads two pragmas. Otherwise every
 * check and the migrations run in one BEGIN IMMEDIATE transaction: separate reads outside it could
 * straddle another process's migration and see half of it, and inside it exactly one of several
 * processes opening a file at once migrates while the others then see its result. A migration that
 * fails leaves the file as it was.
 */
export function migrate(db: Database, file: string): number | undefined {
  const before = readVersion(db);
  if (before.version === SCHEMA_VERSION && before.applicationId === APPLICATION_ID) return undefined;
  return db
    .transaction(() => {
      const { version, applicationId } = readVersion(db);
      checkCompatible(db, file, version, applicationId);
      if (version === SCHEMA_VERSION) return undefined;
      for (let v = version; v < SCHEMA_VERSION; v++) {
        try {
          db.exec(MIGRATIONS[v] as string);
        } catch (error) {
          throw errors.error(
            "BACKEND_IO",
            `${file}: upgrading the schema from version ${v} to ${v + 1} failed, nothing was changed: ${(error as Error).message}`,
            { cause: error, details: { file, from: v, to: v + 1 } },
          );
        }
      }
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
      return version;
    })
    .immediate();
}
