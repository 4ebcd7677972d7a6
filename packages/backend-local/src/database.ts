import fs from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { StoreError } from "@store/core";
import Database from "better-sqlite3";
import { ioError, isBusy, PREFIX } from "./errors";
import type { ResolvedLocalOptions } from "./options";
import { migrate } from "./schema";

/** Setup keeps retrying lock contention for at least this long, even with a short busy timeout. */
const MIN_SETUP_RETRY_MS = 2000;

/**
 * Opens the database, switches it to WAL, applies the per-connection settings and migrates the schema.
 *
 * When several processes open one fresh file at the same moment, the switch to WAL and the first
 * migration race. Most lock waits go through the busy timeout, but SQLite can answer some steps with
 * SQLITE_BUSY at once (e.g. SQLITE_BUSY_RECOVERY while another connection rebuilds the WAL index, or any
 * contention when the timeout is 0). Setup is idempotent, so it is retried with jittered backoff.
 */
export async function openDatabase(options: ResolvedLocalOptions): Promise<Database.Database> {
  const { file } = options;
  const memory = file === ":memory:";
  if (!memory) {
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
    } catch (error) {
      throw ioError(error, `creating the directory of ${file}`, { file });
    }
  }
  let db: Database.Database;
  try {
    db = new Database(file, { timeout: options.busyTimeoutMs });
  } catch (error) {
    throw ioError(error, `opening ${file}`, { file });
  }
  const deadline = Date.now() + Math.max(options.busyTimeoutMs, MIN_SETUP_RETRY_MS);
  for (let attempt = 0; ; attempt++) {
    try {
      setUp(db, options, memory);
      return db;
    } catch (error) {
      if (isBusy(error) && Date.now() < deadline) {
        await sleep(Math.min(5 * 2 ** attempt, 100) * (0.5 + Math.random()));
        continue;
      }
      db.close();
      throw ioError(error, `opening ${file}`, { file });
    }
  }
}

function setUp(db: Database.Database, options: ResolvedLocalOptions, memory: boolean): void {
  if (!memory && db.pragma("journal_mode", { simple: true }) !== "wal") {
    const mode = db.pragma("journal_mode = WAL", { simple: true });
    if (mode !== "wal") {
      throw new StoreError(
        "BACKEND_IO",
        `${PREFIX} ${options.file}: SQLite refused WAL mode (it stayed "${mode}")`,
        {
          details: { file: options.file },
        },
      );
    }
  }
  // Per connection. NORMAL in WAL mode: a commit survives a process crash; FULL also survives power loss.
  db.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`);
  db.pragma(`journal_size_limit = ${options.journalSizeLimitBytes}`);
  // Retention and prune collect the keys they delete in a temporary table: keep it off the disk.
  db.pragma("temp_store = MEMORY");
  migrate(db, options.file);
}
