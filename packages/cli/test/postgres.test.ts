import { createRequire } from "node:module";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { boundCli, tempDir, write } from "./helpers";

/**
 * Issue 12, the CLI's part: @store/backend-postgres ships with the CLI (loaded only when a store uses
 * it) and `migrations print` shows the SQL of a provider's schema. Runs against the real server: the
 * PG* variables when set, else 127.0.0.1:5432, user postgres, database test; each run in its own
 * schema, dropped afterwards.
 */
const { PGHOST = "127.0.0.1", PGPORT = "5432", PGUSER = "postgres", PGDATABASE = "test" } = process.env;
const URL = `postgres://${PGUSER}@${PGHOST}:${PGPORT}/${PGDATABASE}`;
const SCHEMA = `wfs_cli_${process.pid}_${Date.now() % 100000}`;

// pg is the backend's dependency, not the CLI's: the tests reach it the way the backend does.
const requireFromBackend = createRequire(
  createRequire(import.meta.url).resolve("@store/backend-postgres/package.json"),
);
/** The part of pg's API the tests use (its types are the backend's dev dependency, not the CLI's). */
interface AdminPool {
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
}
const pg = requireFromBackend("pg") as {
  Pool: new (options: { connectionString: string; max: number }) => AdminPool;
};
const admin = new pg.Pool({ connectionString: URL, max: 1 });

const { dir, cleanup } = tempDir("wfstore-pg-");
const cli = boundCli(path.join(dir, "data"), dir);
const manifest = write(
  path.join(dir, "shared.yaml"),
  `apiVersion: wfstore.dev/v1
kind: StoreBackendProvider
metadata: {name: shared}
spec:
  plugin: "@store/backend-postgres"
  options: {connection_string: "${URL}", schema: ${SCHEMA}}
---
apiVersion: wfstore.dev/v1
kind: StoreBackendProvider
metadata: {name: scripts}
spec:
  commands: {get: "true", put: "true", delete: "true", list: "echo []"}
---
apiVersion: wfstore.dev/v1
kind: WorkflowStore
metadata: {name: team}
spec: {provider: shared, retention: {max_entries: 2}}
`,
);

beforeAll(async () => {
  try {
    await admin.query("SELECT 1");
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${URL}: ${(error as Error).message}. Start it, or set PG*.`,
    );
  }
});
afterAll(async () => {
  await admin.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  await admin.end();
  cleanup();
});

describe("a store on PostgreSQL through the CLI", () => {
  it("put, get --json, list --json, conditional writes and retention work with nothing else installed", async () => {
    expect((await cli(["apply", "-f", manifest])).code).toBe(0);
    for (const k of ["a", "b", "c"]) {
      const put = await cli(["store", "put", "team", k, JSON.stringify({ k })]);
      expect(put.code, put.stderr).toBe(0);
    }
    const list = JSON.parse((await cli(["--json", "store", "list", "team"])).stdout);
    expect(list.map((e: { key: string }) => e.key)).toEqual(["c", "b"]); // max_entries 2
    expect(JSON.parse((await cli(["store", "get", "team", "c", "--json"])).stdout)).toMatchObject({
      value: { k: "c" },
      version: 1,
    });
    expect((await cli(["store", "put", "team", "c", "1", "--if-version", "5"])).code).toBe(4);
    expect((await cli(["store", "put", "team", "c", "1", "--if-version", "1"])).code).toBe(0);
  });
});

describe("migrations print --provider NAME", () => {
  it("prints the SQL that creates the provider's schema, and connects to nothing", async () => {
    const r = await cli(["-f", manifest, "migrations", "print", "--provider", "shared"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`CREATE SCHEMA "${SCHEMA}"`);
    expect(r.stdout).toMatch(/^-- @store\/backend-postgres: schema /);
    expect(r.stdout.trimEnd().endsWith("COMMIT;")).toBe(true);
  });

  it("prints the SQL a psql session can run: the schema it creates is the one the backend uses", async () => {
    const schema = `${SCHEMA}_m`;
    const other = write(
      path.join(dir, "migrated.yaml"),
      `apiVersion: wfstore.dev/v1\nkind: StoreBackendProvider\nmetadata: {name: strict}\nspec:\n  plugin: "@store/backend-postgres"\n  options: {connection_string: "${URL}", schema: ${schema}, migrate: false}\n---\napiVersion: wfstore.dev/v1\nkind: WorkflowStore\nmetadata: {name: on-strict}\nspec: {provider: strict}\n`,
    );
    try {
      const sql = (await cli(["-f", other, "migrations", "print", "--provider", "strict"])).stdout;
      await admin.query(sql);
      // With migrate: false the backend only checks the schema: the printed SQL made it current.
      const put = await cli(["-f", other, "store", "put", "on-strict", "k", "1"]);
      expect(put.code, put.stderr).toBe(0);
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  });

  it("names what is wrong: no --provider, an undeclared provider, a provider that is not PostgreSQL", async () => {
    const none = await cli(["migrations", "print"]);
    expect([none.code, none.stderr]).toEqual([
      2,
      "wfstore: error USAGE: migrations print needs the provider: wfstore migrations print --provider NAME (see `wfstore migrations print --help`)\n",
    ]);
    const missing = await cli(["migrations", "print", "--provider", "nowhere"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /^wfstore: error PROVIDER_NOT_FOUND: storebackendprovider "nowhere" is not declared/,
    );
    const wrong = await cli(["-f", manifest, "migrations", "print", "--provider", "scripts"]);
    expect([wrong.code, wrong.stderr]).toEqual([
      2,
      'wfstore: error INVALID_ARGUMENT: storebackendprovider "scripts" is served by commands, not @store/backend-postgres: only PostgreSQL providers have migrations to print\n',
    ]);
  });
});
