import type { ErrorTarget } from "@store/core/backend";
import pg, { type Client, type Pool, type PoolClient, type PoolConfig, type QueryConfig } from "pg";
import { errors, failureOf, operationFailed, type ServerDescription } from "./errors";
import type { ResolvedPostgresOptions } from "./options";
import { type Redact, redactor } from "./redact";

/**
 * The pool the backend runs on, its own or the application's, and what error messages may say about
 * it. Every statement goes through `read` or `write`, which turn failures into BACKEND_IO errors
 * without credentials.
 */
export class Connection {
  readonly server: ServerDescription;
  readonly redact: Redact;
  private readonly onIdleError = () => {
    // An idle connection died (server restart, pg_terminate_backend): pg-pool drops it and the next
    // query opens a new one. Without a listener, the 'error' event would crash the process.
  };

  private constructor(
    readonly pool: Pool,
    /** True when the backend created the pool, and so ends it on close. */
    readonly owned: boolean,
    server: ServerDescription,
    redact: Redact,
  ) {
    this.server = server;
    this.redact = redact;
    pool.on("error", this.onIdleError);
  }

  static open(options: ResolvedPostgresOptions): Connection {
    const config: PoolConfig = options.pool
      ? { ...(options.pool as Pool & { options?: PoolConfig }).options }
      : {
          ...(options.connectionString ? { connectionString: options.connectionString } : {}),
          max: options.poolMax,
          connectionTimeoutMillis: options.connectTimeoutMs,
          application_name: options.applicationName,
          ...(options.statementTimeoutMs > 0 ? { statement_timeout: options.statementTimeoutMs } : {}),
        };
    // A client that never connects: pg resolves the settings (connection string, PG* variables,
    // defaults) exactly as the pool's clients will, which tells us what to name and what to hide.
    let probe: Client;
    const redactString = redactor([config.connectionString, process.env.PGPASSWORD]);
    try {
      probe = new pg.Client(config);
    } catch (error) {
      throw errors.error(
        "INVALID_ARGUMENT",
        `option connectionString is not a valid PostgreSQL connection string: ${failureOf(error, redactString).message}`,
        { details: { field: "connectionString" } },
      );
    }
    const password = (probe as unknown as { password?: unknown }).password;
    const redact = redactor([
      config.connectionString,
      process.env.PGPASSWORD,
      typeof password === "string" ? password : undefined,
    ]);
    const server: ServerDescription = {
      where: redact(
        `${probe.host?.startsWith("/") ? probe.host : `${probe.host}:${probe.port}`}, database ${JSON.stringify(probe.database)}, user ${JSON.stringify(probe.user)}`,
      ),
      schema: options.schema,
      statementTimeoutMs: Number(config.statement_timeout ?? 0),
    };
    const pool = options.pool ?? new pg.Pool(config);
    return new Connection(pool, options.pool === undefined, server, redact);
  }

  /**
   * Runs a statement (with `rowMode: "array"`) that changes nothing. A connection lost during it (a
   * server restart, a terminated backend) is retried once on a fresh connection: reading again is
   * harmless.
   */
  async read<R extends unknown[]>(query: QueryConfig, doing: string, target: ErrorTarget): Promise<R[]> {
    try {
      return (await this.pool.query<R>(query)).rows;
    } catch (error) {
      const kind = failureOf(error, this.redact).kind;
      if (kind !== "lost" && kind !== "unsent") throw this.failed(error, doing, target, false);
    }
    try {
      return (await this.pool.query<R>(query)).rows;
    } catch (error) {
      throw this.failed(error, doing, target, false);
    }
  }

  /**
   * Runs a statement that writes. It is retried only when it never reached the server: a write whose
   * connection died under it may have been applied, so the error says so and the caller decides.
   */
  async write<R extends unknown[]>(query: QueryConfig, doing: string, target: ErrorTarget): Promise<R[]> {
    try {
      return (await this.pool.query<R>(query)).rows;
    } catch (error) {
      if (failureOf(error, this.redact).kind !== "unsent") throw this.failed(error, doing, target, true);
    }
    try {
      return (await this.pool.query<R>(query)).rows;
    } catch (error) {
      throw this.failed(error, doing, target, true);
    }
  }

  /** Runs `body` in one transaction on one connection (an import split into several statements). */
  async transaction(
    body: (client: PoolClient) => Promise<void>,
    doing: string,
    target: ErrorTarget,
  ): Promise<void> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw this.failed(error, doing, target, true);
    }
    let broken: unknown;
    try {
      await client.query("BEGIN");
      await body(client);
      await client.query("COMMIT");
    } catch (error) {
      broken = error;
      await client.query("ROLLBACK").catch(() => {});
      throw this.failed(error, doing, target, true);
    } finally {
      // A connection that failed is not reused: its state is unknown.
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  failed(error: unknown, doing: string, target: ErrorTarget, write: boolean) {
    return operationFailed(error, doing, target, this.server, this.redact, write);
  }

  /** Ends the pool when it is the backend's own; an application's pool stays open for its owner. */
  async close(): Promise<void> {
    try {
      if (this.owned) await this.pool.end();
    } finally {
      this.pool.removeListener("error", this.onIdleError);
    }
  }
}
