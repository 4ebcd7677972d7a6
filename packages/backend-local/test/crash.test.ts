import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_FILE_NAME } from "../src/options";
import { tempDir } from "./helpers";
import { assertBuilt, startWriter } from "./processes";

beforeAll(assertBuilt);

const ROUNDS = 20;

describe("a writer killed with SIGKILL", () => {
  it(`loses no acknowledged put and leaves an intact database, ${ROUNDS} rounds`, async () => {
    const dataDir = tempDir();
    const file = path.join(dataDir, DEFAULT_FILE_NAME);
    const acknowledged: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const writer = startWriter([dataDir, `r${round}`, "forever", "--ring"]);
      await writer.waitFor((l) => l.startsWith(`r${round}-`));
      await sleep(Math.random() * 250);
      writer.child.kill("SIGKILL");
      const exit = await writer.exited;
      expect(exit.signal).toBe("SIGKILL");
      const acked = writer.lines.filter((l) => l.startsWith(`r${round}-`));
      expect(acked.length).toBeGreaterThan(0);
      acknowledged.push(...acked);

      // Read-only, so closing does not checkpoint: the next writer must recover the hot WAL itself.
      const db = new Database(file, { readonly: true });
      try {
        expect(db.pragma("integrity_check", { simple: true }), `round ${round}`).toBe("ok");
        const stored = new Set(
          db.prepare("SELECT key FROM entries WHERE store = 'reliability'").pluck().all(),
        );
        const missing = acknowledged.filter((k) => !stored.has(k));
        expect(missing, `round ${round}: acknowledged puts missing`).toEqual([]);
        // The last acknowledged value is whole; a put in flight when the kill came may or may not
        // have landed, but never in part.
        const value = db.prepare("SELECT value FROM entries WHERE store = 'reliability' AND key = ?").pluck();
        const last = acked.length - 1;
        expect(JSON.parse(value.get(`r${round}-${last}`) as string)).toMatchObject({
          prefix: `r${round}`,
          i: last,
        });
        const inFlight = value.get(`r${round}-${last + 1}`) as string | undefined;
        if (inFlight !== undefined) {
          expect(JSON.parse(inFlight)).toMatchObject({ prefix: `r${round}`, i: last + 1 });
        }
        // The retention store's count, kept inside each put's transaction, matches the rows.
        const ring = db.prepare("SELECT count(*) FROM entries WHERE store = 'ring'").pluck().get() as number;
        const counted = db.prepare("SELECT n FROM projects WHERE store = 'ring'").pluck().get();
        expect(ring).toBeLessThanOrEqual(25);
        expect(counted).toBe(ring);
      } finally {
        db.close();
      }
    }
    expect(acknowledged.length).toBeGreaterThan(ROUNDS);
  }, 120_000);
});
