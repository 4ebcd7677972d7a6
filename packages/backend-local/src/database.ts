import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import { errors, ioError, isBusy } from "./errors";
import type { ResolvedLocalOptions } from "./options";
import { migrate } from "./schema";

/**
 * Setup keeps retrying lock contention for at least this long, even with a short busy timeout:
 * another process may be upgrading the schema of a large file, holding the write lock meanwhile.
 */
const MIN_SETUP_RETRY_MS = 60_000;

export interface OpenedDatabase {
  db: Database.Database;
  /** The schema version this open upgraded the file from (0: it created the schema), if it did. */
  migratedFrom: number | undefined;
}

/**
 * Opens the database, switches it to WAL, applies the per-connection settings and migrates the schema.
 *
 * When several processes open one fresh file at the same moment, the switch to WAL and the first
 * migration race. Most lock waits go through the busy timeout, but SQLite can answer some steps with
 * SQLITE_BUSY at once (e.g. SQLITE_BUSY_RECOVERY while another connection rebuilds the WAL index, or any
 * contention when the timeout is 0). Setup is idempotent, so it is retried with jittered backoff.
 */
export async function openDatabase(options: ResolvedLocalOptions): Promise<OpenedDatabase> {
  const { file } = options;
  const memory = file === ":memory:";
  if (!memory) {
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
    } catch (error) {
      throw ioError(error, `creating the directory of ${file}`, { details: { file } });
    }
  }
  let db: Database.Database;
  try {
    db = new Database(file, { timeout: options.busyTimeoutMs, ...nativeBinding() });
  } catch (error) {
    throw ioError(error, `opening ${file}`, { details: { file } });
  }
  const deadline = Date.now() + Math.max(options.busyTimeoutMs, MIN_SETUP_RETRY_MS);
  for (let attempt = 0; ; attempt++) {
    try {
      return { db, migratedFrom: setUp(db, options, memory) };
    } catch (error) {
      if (isBusy(error) && Date.now() < deadline) {
        await sleep(Math.min(5 * 2 ** attempt, 100) * (0.5 + Math.random()));
        continue;
      }
      db.close();
      throw ioError(error, `opening ${file}`, { details: { file } });
    }
  }
}

function setUp(db: Database.Database, options: ResolvedLocalOptions, memory: boolean): number | undefined {
  if (!memory && db.pragma("journal_mode", { simple: true }) !== "wal") {
    const mode = db.pragma("journal_mode = WAL", { simple: true });
    if (mode !== "wal") {
      throw errors.error("BACKEND_IO", `${options.file}: SQLite refused WAL mode (it stayed "${mode}")`, {
        details: { file: options.file },
      });
    }
  }
  // Per connection. NORMAL in WAL mode: a commit survives a process crash; FULL also survives power loss.
  db.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`);
  db.pragma(`journal_size_limit = ${options.journalSizeLimitBytes}`);
  // Retention and prune collect the keys they delete in a temporary table: keep it off the disk.
  db.pragma("temp_store = MEMORY");
  return migrate(db, options.file);
}

/**
 * A second, read-only connection to the same file, for a snapshot (snapshot.ts): in WAL mode its read
 * transaction sees the database as it was when it began, while the main connection keeps writing.
 */
export function openReadConnection(options: ResolvedLocalOptions): Database.Database {
  return new Database(options.file, {
    readonly: true,
    fileMustExist: true,
    timeout: options.busyTimeoutMs,
    ...nativeBinding(),
  });
}

let binding: { nativeBinding?: string } | undefined;

/**
 * The addon's path, when it sits where better-sqlite3 builds it: better-sqlite3 otherwise asks the
 * `bindings` package, which probes a dozen paths on every start (a few ms of each CLI command).
 */
function nativeBinding(): { nativeBinding?: string } {
  if (!binding) {
    try {
      const require = createRequire(import.meta.url);
      binding = { nativeBinding: require.resolve("better-sqlite3/build/Release/better_sqlite3.node") };
    } catch {
      binding = {};
    }
  }
  return binding;
}
