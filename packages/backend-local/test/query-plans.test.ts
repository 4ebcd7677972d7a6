import type Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { SQL } from "../src/statements";
import { openManager } from "./helpers";

/** EXPLAIN QUERY PLAN of a statement, with every parameter (positional or named) bound to NULL. */
function plan(db: Database.Database, sql: string): string[] {
  const named = [...new Set(sql.match(/@\w+/g) ?? [])];
  const args = named.length
    ? [Object.fromEntries(named.map((p) => [p.slice(1), null]))]
    : (sql.match(/\?/g) ?? []).map(() => null);
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as Array<{ detail: string }>).map(
    (r) => r.detail,
  );
}

const statements = Object.entries(SQL).filter(([, sql]) => !/^(BEGIN|COMMIT|ROLLBACK|PRAGMA)/.test(sql));
const planOf = (db: Database.Database, name: keyof typeof SQL) => plan(db, SQL[name]).join(" | ");

describe("query plans", () => {
  it("never scans a table or sorts: every statement is an index seek", async () => {
    const b = await openManager().backend();
    for (const [name, sql] of statements) {
      const steps = plan(b.db, sql);
      for (const step of steps) {
        // Scanning the page a subquery produced is fine; scanning a table or sorting is not.
        expect(step, `${name}: ${steps.join(" | ")}`).not.toMatch(/^SCAN (?!\(subquery|page$)|TEMP B-TREE/);
      }
    }
  });

  it("pages, cursors, retention and prune walk the recency index; point operations the key index", async () => {
    const b = await openManager().backend();
    for (const name of ["list", "listTies", "listOlder", "listAfterOffset", "deleteOlder"] as const) {
      expect(planOf(b.db, name), name).toMatch(/USING (COVERING )?INDEX entries_recency/);
    }
    // Positions and the largest version removed come from the index alone, never from the table.
    for (const name of [
      "oldest",
      "beyondTop",
      "deleteBeyond",
      "olderTop",
      "listAt",
      "countProject",
    ] as const) {
      expect(planOf(b.db, name), name).toMatch(/COVERING INDEX entries_recency/);
    }
    for (const name of ["get", "current", "updateIfVersion"] as const) {
      expect(planOf(b.db, name), name).toMatch(
        /USING INDEX entries_key \(store=\? AND project=\? AND key=\?\)/,
      );
    }
    for (const name of ["rewrite", "deleteById"] as const) {
      expect(planOf(b.db, name), name).toMatch(/USING INTEGER PRIMARY KEY \(rowid=\?\)/);
    }
  });

  it("a page at an offset reads the table only for its own rows (a deferred join)", async () => {
    const b = await openManager().backend();
    expect(planOf(b.db, "listAt")).toBe(
      "CO-ROUTINE page | SEARCH entries USING COVERING INDEX entries_recency (store=? AND project=? AND updated_at>?) | SCAN page | SEARCH e USING INTEGER PRIMARY KEY (rowid=?)",
    );
  });
});
