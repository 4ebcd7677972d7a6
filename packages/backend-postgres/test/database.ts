/**
 * The PostgreSQL server the tests run against: the standard PG* variables when set (CI sets them),
 * else the local server on 127.0.0.1:5432, user postgres, database test. Every test works in its own
 * throwaway schemas and drops them afterwards.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

process.env.PGHOST ??= "127.0.0.1";
process.env.PGPORT ??= "5432";
process.env.PGUSER ??= "postgres";
process.env.PGDATABASE ??= "test";

/** The same server as a connection string, with `password` in it (trust auth accepts any). */
export function connectionString(password?: string): string {
  const { PGHOST, PGPORT, PGUSER, PGDATABASE } = process.env;
  const user = password === undefined ? PGUSER : `${PGUSER}:${encodeURIComponent(password)}`;
  return `postgres://${user}@${PGHOST}:${PGPORT}/${PGDATABASE}`;
}

/** A connection of the tests' own, for setting up, inspecting and dropping schemas. */
export const admin = new pg.Pool({ max: 3 });
admin.on("error", () => {}); // a test may terminate connections; the pool reconnects

let counter = 0;

/** A schema name no other test, run or process uses. */
export function uniqueSchema(tag: string): string {
  return `wfs_${tag}_${process.pid}_${++counter}_${randomBytes(3).toString("hex")}`.slice(0, 63);
}

export async function dropSchema(schema: string): Promise<void> {
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** Fails with a clear message when the server is not running, instead of every test timing out. */
export async function assertServer(): Promise<void> {
  try {
    await admin.query("SELECT 1");
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${process.env.PGHOST}:${process.env.PGPORT} (database ${process.env.PGDATABASE}, user ${process.env.PGUSER}): ${(error as Error).message}. Start it, or point the PG* variables at one.`,
    );
  }
}
