import { randomBytes } from "node:crypto";
import pg from "pg";

/**
 * The PostgreSQL server: the standard PG* variables when set, else 127.0.0.1:5432 with trust auth,
 * user postgres, database test. Every run works in its own throwaway schema, dropped afterwards.
 */
const env = {
  host: process.env.PGHOST ?? "127.0.0.1",
  port: process.env.PGPORT ?? "5432",
  user: process.env.PGUSER ?? "postgres",
  database: process.env.PGDATABASE ?? "test",
};

export const POSTGRES_URL = `postgres://${env.user}@${env.host}:${env.port}/${env.database}`;

let admin: pg.Pool | undefined;
let counter = 0;

function pool(): pg.Pool {
  if (!admin) {
    admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
    admin.on("error", () => {});
  }
  return admin;
}

/** A schema name no other run, file or process uses. */
export function uniqueSchema(tag: string): string {
  return `wfr_${tag}_${process.pid}_${++counter}_${randomBytes(3).toString("hex")}`.slice(0, 63);
}

export async function dropSchema(schema: string): Promise<void> {
  await pool().query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** A clear failure when the server is down, instead of every test timing out. */
export async function assertPostgres(): Promise<void> {
  try {
    await pool().query("SELECT 1");
  } catch (error) {
    throw new Error(`PostgreSQL is not reachable at ${POSTGRES_URL}: ${(error as Error).message}`);
  }
}

export async function closeAdmin(): Promise<void> {
  await admin?.end();
  admin = undefined;
}
