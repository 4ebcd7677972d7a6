import path from "node:path";
import Database from "better-sqlite3";
import { expect } from "vitest";
import { crashRounds } from "./support/crash-rounds";

/**
 * The local backend (SQLite, WAL) under SIGKILL. Integrity: SQLite's own `PRAGMA integrity_check`
 * on the file after every round (schema-agnostic: it checks pages, indexes and constraints), on top
 * of every entry read back through the store.
 */
crashRounds("local", {
  integrity(dataDir) {
    const db = new Database(path.join(dataDir, "store.sqlite"), { readonly: true, fileMustExist: true });
    try {
      const rows = db.pragma("integrity_check") as Array<{ integrity_check: string }>;
      expect(rows.map((r) => r.integrity_check)).toEqual(["ok"]);
    } finally {
      db.close();
    }
  },
});
