import type { SnapshotQuery, SnapshotReader, StoreEntry, StoreRef } from "@store/core/backend";
import type { Database } from "better-sqlite3";
import { openReadConnection } from "./database";
import { describeOp, errors, ioError } from "./errors";
import { listRows } from "./list-rows";
import type { ResolvedLocalOptions } from "./options";
import { type ListRow, toEntry } from "./rows";
import { prepareStatements, type Statements } from "./statements";

/**
 * An export from one consistent snapshot: a read-only connection of its own holds one read
 * transaction (WAL: writers carry on meanwhile) and walks the project by the same keyset pages as
 * `list`, so every page sees the database as it was when the snapshot was opened. Memory is one page.
 * The connection is closed at the end of the entries, on `close`, or when the backend closes (`abort`:
 * later reads fail with CLOSED rather than end the export early as if it were complete).
 */
export class LocalSnapshot implements SnapshotReader {
  private db: Database | undefined;
  private readonly s: Statements;
  private after: { updatedAt: string; key: string } | undefined;
  private aborted = false;

  private constructor(
    db: Database,
    private readonly ref: StoreRef,
    private readonly query: SnapshotQuery,
    private readonly onClose: (snapshot: LocalSnapshot) => void,
  ) {
    this.db = db;
    this.s = prepareStatements(db);
  }

  static open(
    options: ResolvedLocalOptions,
    ref: StoreRef,
    query: SnapshotQuery,
    onClose: (snapshot: LocalSnapshot) => void,
  ): LocalSnapshot {
    let db: Database | undefined;
    try {
      db = openReadConnection(options);
      db.prepare("BEGIN").run();
      // The first read starts the read transaction: from here on, writes by others are not seen.
      db.prepare("SELECT 1 FROM projects LIMIT 1").all();
      return new LocalSnapshot(db, ref, query, onClose);
    } catch (error) {
      db?.close();
      throw ioError(error, "export (opening a snapshot)", { ref, details: { file: options.file } });
    }
  }

  read(limit: number): StoreEntry[] {
    if (this.aborted) throw errors.closed(describeOp("export", this.ref));
    if (!this.db) return [];
    let rows: ListRow[];
    try {
      rows = listRows(this.s, this.ref, {
        limit,
        offset: 0,
        ...(this.after ? { after: this.after } : {}),
        ...(this.query.notBefore ? { notBefore: this.query.notBefore } : {}),
      });
    } catch (error) {
      this.close();
      throw ioError(error, "export", { ref: this.ref });
    }
    const entries = rows.map((row) => toEntry(row, this.ref));
    const last = entries[entries.length - 1];
    if (last) this.after = { updatedAt: last.updatedAt, key: last.key };
    if (entries.length < limit) this.close();
    return entries;
  }

  /** The backend is closing: end the snapshot, and make any later read fail. */
  abort(): void {
    this.aborted = true;
    this.close();
  }

  close(): void {
    const db = this.db;
    if (!db) return;
    this.db = undefined;
    this.onClose(this);
    // A read-only transaction: ending it by closing the connection loses nothing.
    db.close();
  }
}
