import { inspect } from "node:util";
import { StoreError } from "@store/core";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, assertServer, connectionString } from "./database";
import { managerWith, openBackend, rejection, Schemas } from "./helpers";

const schemas = new Schemas();
const PASSWORD = "s3cret-pw";
// Characters a URL must encode: the password may leak in either spelling.
const AWKWARD = "p@ss:w/rd %s3cr3t!";

beforeAll(assertServer);
afterAll(async () => {
  try {
    await schemas.dropAll();
  } finally {
    await admin.end();
  }
});

/** Everything an error shows: message, details, cause chain, stacks, hidden properties. */
function everything(error: unknown): string {
  const e = error as StoreError;
  return [
    String(e),
    e.message,
    JSON.stringify(e.details),
    e.stack,
    inspect(e, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
  ].join("\n");
}

function expectNoSecret(error: unknown, ...secrets: string[]): void {
  expect(StoreError.isInstance(error), `a StoreError: ${String(error)}`).toBe(true);
  const shown = everything(error);
  for (const secret of secrets) {
    expect(shown.includes(secret), `the error shows "${secret}": ${shown.slice(0, 500)}`).toBe(false);
    expect(shown.includes(encodeURIComponent(secret))).toBe(false);
  }
}

/** The error of the first operation through a manager with these options; it warns of nothing. */
async function firstError(options: Record<string, unknown>): Promise<{ error: StoreError }> {
  const warnings: string[] = [];
  const manager = managerWith({ schema: schemas.name("cred"), ...options }, warnings);
  try {
    return { error: (await rejection(manager.store("s").get("k"))) as StoreError };
  } finally {
    await manager.close();
    expect(warnings).toEqual([]);
  }
}

describe("no credential in any error", () => {
  it("connection refused (wrong port)", async () => {
    const { error } = await firstError({
      connectionString: `postgres://postgres:${PASSWORD}@127.0.0.1:1/test`,
    });
    expect(error.code).toBe("BACKEND_IO");
    expect(error.message).toMatch(
      /cannot connect to PostgreSQL at 127\.0\.0\.1:1, database "test", user "postgres"/,
    );
    expectNoSecret(error, PASSWORD);
  });

  it("unknown host", async () => {
    const { error } = await firstError({
      connectionString: `postgres://postgres:${PASSWORD}@wfstore-no-such-host.invalid:5432/test`,
      connectTimeoutMs: 5000,
    });
    expect(error.code).toBe("BACKEND_IO");
    expect(error.message).toMatch(/cannot connect to PostgreSQL at wfstore-no-such-host\.invalid:5432/);
    expectNoSecret(error, PASSWORD);
  });

  it("a database that does not exist", async () => {
    const { error } = await firstError({
      connectionString: `postgres://postgres:${PASSWORD}@${process.env.PGHOST}:${process.env.PGPORT}/wfstore_no_such_db`,
    });
    expect(error.message).toMatch(/refused the connection: database "wfstore_no_such_db" does not exist/);
    expectNoSecret(error, PASSWORD);
  });

  it("a malformed connection string: INVALID_ARGUMENT, the string not quoted", async () => {
    const error = await rejection(
      openBackend({
        connectionString: `postgres://postgres:${PASSWORD}@127.0.0.1:notaport/test`,
        schema: "x",
      }),
    );
    expect((error as StoreError).code).toBe("INVALID_ARGUMENT");
    expect((error as StoreError).message).toMatch(
      /^postgres: option connectionString is not a valid PostgreSQL connection string/,
    );
    expectNoSecret(error, PASSWORD);
  });

  it("a password with characters URLs encode, and PGPASSWORD, on a failed connection", async () => {
    const saved = process.env.PGPASSWORD;
    process.env.PGPASSWORD = "env-s3cret-pw";
    try {
      const { error } = await firstError({
        connectionString: `postgres://postgres:${encodeURIComponent(AWKWARD)}@127.0.0.1:1/test`,
      });
      expectNoSecret(error, AWKWARD, "env-s3cret-pw");
    } finally {
      if (saved === undefined) delete process.env.PGPASSWORD;
      else process.env.PGPASSWORD = saved;
    }
  });

  it("an application's pool whose connection string holds the password", async () => {
    const pool = new pg.Pool({ connectionString: `postgres://postgres:${PASSWORD}@127.0.0.1:1/test` });
    pool.on("error", () => {});
    try {
      const error = await rejection(openBackend({ pool, schema: schemas.name("credpool") }));
      expect((error as StoreError).message).toMatch(/cannot connect to PostgreSQL at 127\.0\.0\.1:1/);
      expectNoSecret(error, PASSWORD);
    } finally {
      await pool.end();
    }
  });

  it("a statement timeout and a lost connection, on a server that accepted the password", async () => {
    const schema = schemas.name("credop");
    const applicationName = `wfs-cred-${process.pid}`;
    const warnings: string[] = [];
    const manager = managerWith(
      { schema, applicationName, connectionString: connectionString(PASSWORD), statementTimeoutMs: 500 },
      warnings,
    );
    const store = manager.store("s");
    try {
      await store.put("k", 1);
      const client = await admin.connect();
      try {
        await client.query("BEGIN");
        await client.query(`LOCK TABLE "${schema}".entries IN ACCESS EXCLUSIVE MODE`);
        const timedOut = (await rejection(store.put("k", 2))) as StoreError;
        expect(timedOut.message).toMatch(
          /canceling statement due to statement timeout \(statement_timeout is 500 ms/,
        );
        expectNoSecret(timedOut, PASSWORD);
        const blocked = rejection(store.delete("k"));
        for (let i = 0; i < 200; i++) {
          const { rows } = await admin.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
            [applicationName],
          );
          if (rows.length > 0) break;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        const lost = (await blocked) as StoreError;
        expect(lost.details.failure).toBe("lost");
        expectNoSecret(lost, PASSWORD);
      } finally {
        await client.query("ROLLBACK");
        client.release();
      }
      expect(await store.get("k")).toBe(1);
      expect(warnings).toEqual([]);
    } finally {
      await manager.close();
    }
  });
});
