import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresBackend } from "../src/index";
import { admin, assertServer, dropSchema, uniqueSchema } from "./database";
import { assertBuilt, race } from "./processes";

const schemas: string[] = [];

/** A fresh schema for one test, migrated by the parent unless `empty`; dropped after the file. */
async function freshSchema(tag: string, empty = false): Promise<string> {
  const schema = uniqueSchema(tag);
  schemas.push(schema);
  if (!empty) await (await postgresBackend.create({ schema, poolMax: 1 }, {} as never)).close();
  return schema;
}

async function counter(schema: string): Promise<unknown> {
  const { rows } = await admin.query(
    `SELECT value FROM "${schema}".entries WHERE store = 'race' AND project = '' AND key = 'counter'`,
  );
  return rows[0] && JSON.parse(rows[0].value);
}

beforeAll(async () => {
  assertBuilt();
  await assertServer();
});

afterAll(async () => {
  try {
    for (const schema of schemas) await dropSchema(schema);
  } finally {
    await admin.end();
  }
});

describe("several processes, each with its own pool, on one schema", () => {
  it("8 processes × 500 puts of distinct keys: all 4,000 land, no error", { timeout: 240_000 }, async () => {
    const schema = await freshSchema("distinct");
    const results = await race(8, (i) => ["distinct", schema, "500", `w${i}`]);
    for (const r of results)
      expect(r, r.stderr).toMatchObject({ code: 0, stderr: "", report: { done: 500 } });
    const { rows } = await admin.query(`SELECT key, task_id FROM "${schema}".entries WHERE store = 'race'`);
    expect(rows).toHaveLength(4000);
    const keys = new Set(rows.map((r) => r.key as string));
    for (let w = 0; w < 8; w++) for (let i = 0; i < 500; i++) expect(keys.has(`w${w}-${i}`)).toBe(true);
  });

  it("8 processes × 200 update() increments of one counter: exactly 1,600", {
    timeout: 240_000,
  }, async () => {
    const schema = await freshSchema("update");
    const results = await race(8, () => ["update", schema, "200"]);
    for (const r of results)
      expect(r, r.stderr).toMatchObject({ code: 0, stderr: "", report: { done: 200 } });
    expect(await counter(schema)).toBe(1600);
    const attempts = results.reduce((sum, r) => sum + Number(r.report?.attempts), 0);
    expect(attempts).toBeGreaterThanOrEqual(1600); // a conflict costs a retry, never an increment
  });

  it("the same race with plain get + put loses updates (why update() exists)", {
    timeout: 240_000,
  }, async () => {
    const schema = await freshSchema("plain");
    const results = await race(8, () => ["plain", schema, "200"]);
    for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0, stderr: "" });
    const total = (await counter(schema)) as number;
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThan(1600);
  });

  it("2 processes migrating an empty schema at the same moment: both succeed, it is applied once", {
    timeout: 120_000,
  }, async () => {
    for (let round = 0; round < 3; round++) {
      const schema = await freshSchema("migrate", true);
      const results = await race(2, () => ["migrate", schema]);
      for (const r of results)
        expect(r, r.stderr).toMatchObject({ code: 0, stderr: "", report: { from: 0, to: 1 } });
      const applied = results.flatMap((r) => r.report?.applied as number[]);
      expect(applied).toEqual([1]);
      const { rows } = await admin.query(`SELECT version FROM "${schema}".schema_migrations`);
      expect(rows).toEqual([{ version: 1 }]);
    }
  });
});
