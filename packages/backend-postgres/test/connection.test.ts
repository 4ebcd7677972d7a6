import { StoreError } from "@store/core";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, assertServer } from "./database";
import { managerWith, openBackend, rejection, Schemas } from "./helpers";

const schemas = new Schemas();

beforeAll(assertServer);
afterAll(async () => {
  try {
    await schemas.dropAll();
  } finally {
    await admin.end();
  }
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(25);
  }
}

/** Connections of one application name that wait for a lock. */
async function waitingOnLock(applicationName: string): Promise<number> {
  const { rows } = await admin.query(
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
    [applicationName],
  );
  return rows[0].n;
}

async function connectionsOf(applicationName: string): Promise<number> {
  const { rows } = await admin.query(
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1",
    [applicationName],
  );
  return rows[0].n;
}

async function terminate(applicationName: string): Promise<number> {
  const { rows } = await admin.query(
    "SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1) t",
    [applicationName],
  );
  return rows[0].n;
}

/** Holds an exclusive lock on the schema's entries table, so every statement on it waits. */
async function lockEntries(schema: string): Promise<{ release(): Promise<void> }> {
  const client = await admin.connect();
  await client.query("BEGIN");
  await client.query(`LOCK TABLE "${schema}".entries IN ACCESS EXCLUSIVE MODE`);
  return {
    async release() {
      await client.query("ROLLBACK");
      client.release();
    },
  };
}

describe("connection loss", () => {
  it("mid-put: BACKEND_IO saying the connection was lost; nothing applied; the next put reconnects", async () => {
    const schema = schemas.name("loss");
    const applicationName = `wfs-loss-${process.pid}`;
    const manager = managerWith({ schema, applicationName, poolMax: 2 });
    const store = manager.store("s");
    try {
      const first = await store.put("k", 1);
      const lock = await lockEntries(schema);
      const blocked = rejection(store.put("k", 2));
      try {
        await until("the put waits for the lock", async () => (await waitingOnLock(applicationName)) === 1);
        expect(await terminate(applicationName)).toBeGreaterThanOrEqual(1);
        const error = (await blocked) as StoreError;
        expect(StoreError.isInstance(error, "BACKEND_IO"), String(error)).toBe(true);
        expect(error.message).toMatch(
          /^postgres: put of key "k" in store "s" failed: the connection to PostgreSQL at .+ was lost \(terminating connection due to administrator command\); the write may or may not have been applied; the next operation opens a new connection$/,
        );
        expect(error.details).toMatchObject({ store: "s", key: "k", failure: "lost", errno: "57P01" });
      } finally {
        await lock.release();
      }
      const next = await store.put("k", 3);
      expect(next.version).toBe(first.version + 1); // the interrupted put wrote nothing
      expect(await store.get("k")).toBe(3);
    } finally {
      await manager.close();
    }
  });

  it("mid-read: a get whose connection dies is retried once on a new connection", async () => {
    const schema = schemas.name("reread");
    const applicationName = `wfs-reread-${process.pid}`;
    const manager = managerWith({ schema, applicationName, poolMax: 2 });
    const store = manager.store("s");
    try {
      await store.put("k", "value");
      const lock = await lockEntries(schema);
      const read = store.get("k");
      try {
        await until("the get waits for the lock", async () => (await waitingOnLock(applicationName)) === 1);
        expect(await terminate(applicationName)).toBeGreaterThanOrEqual(1);
        // The retry opens a new connection, which waits for the same lock.
        await until(
          "the retried get waits for the lock",
          async () => (await waitingOnLock(applicationName)) === 1,
        );
      } finally {
        await lock.release();
      }
      expect(await read).toBe("value");
    } finally {
      await manager.close();
    }
  });

  it("mid-export: the snapshot's read fails with BACKEND_IO, close is quiet, the next operation reconnects", async () => {
    const schema = schemas.name("export_loss");
    const applicationName = `wfs-export-loss-${process.pid}`;
    const manager = managerWith({ schema, applicationName, poolMax: 2 });
    const store = manager.store("s");
    try {
      await store.import(Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: i })));
      const reader = await store.openReader();
      try {
        expect((await reader.read(10)).length).toBe(10);
        expect(await terminate(applicationName)).toBeGreaterThanOrEqual(1);
        // The connection dies while the export holds it idle: its 'error' event must not crash us.
        await until("the connection is gone", async () => (await connectionsOf(applicationName)) === 0);
        await sleep(200);
        const error = (await rejection(reader.read(10))) as StoreError;
        expect(StoreError.isInstance(error, "BACKEND_IO"), String(error)).toBe(true);
        expect(error.message).toMatch(
          /^postgres: export of store "s" failed: the connection to PostgreSQL at .+ was lost .*; the next operation opens a new connection$/,
        );
      } finally {
        await reader.close();
      }
      expect(await store.get("k0")).toBe(0);
    } finally {
      await manager.close();
    }
  });

  it("idle connections killed under an application's pool: no crash, the next operations reconnect", async () => {
    const schema = schemas.name("idle");
    const applicationName = `wfs-idle-${process.pid}`;
    // No 'error' listener of the application's own: the backend's keeps the process alive.
    const pool = new pg.Pool({ max: 3, application_name: applicationName });
    const backend = await openBackend({ schema, pool });
    const ref = { store: "s", project: "" };
    const record = (value: number) => ({
      key: "k",
      value,
      json: JSON.stringify(value),
      taskId: "",
      updatedAt: new Date().toISOString(),
    });
    try {
      await Promise.all([1, 2, 3].map((v) => backend.put(ref, record(v), {})));
      const open = pool.totalCount;
      expect(open).toBeGreaterThanOrEqual(1);
      expect(await terminate(applicationName)).toBe(open);
      await until("the pool has dropped the dead connections", async () => pool.totalCount === 0);
      expect(typeof (await backend.put(ref, record(4), {}))).toBe("number");
      expect((await backend.get(ref, "k", {}))?.value).toBe(4);
    } finally {
      // From here on the pool is the application's alone, which (as pg requires of an owner) listens
      // for errors of its idle connections: a late one of the killed connections may still arrive.
      pool.on("error", () => {});
      await backend.close();
      expect(pool.ending).toBe(false); // the application's pool is left to the application
      await pool.end();
    }
  });

  it("an unreachable server: BACKEND_IO naming where it connects, once per start attempt", async () => {
    const manager = managerWith({
      schema: schemas.name("down"),
      connectionString: "postgres://postgres@127.0.0.1:1/test",
    });
    try {
      const error = (await rejection(manager.store("s").get("k"))) as StoreError;
      expect(StoreError.isInstance(error, "BACKEND_IO"), String(error)).toBe(true);
      expect(error.message).toMatch(
        /^postgres: checking the version of schema "wfs_down_\w+" failed: cannot connect to PostgreSQL at 127\.0\.0\.1:1, database "test", user "postgres": connect ECONNREFUSED 127\.0\.0\.1:1$/,
      );
      expect(error.details).toMatchObject({ failure: "unreachable", errno: "ECONNREFUSED" });
    } finally {
      await manager.close();
    }
  });
});
