import type { ErrorTarget, SnapshotReader, StoreEntry } from "@store/core/backend";
import type { PoolClient, QueryConfig } from "pg";
import type { Connection } from "./connection";
import { errors } from "./errors";
import { type EntryRow, toEntry } from "./rows";

/** The cursor's name; each snapshot has its own connection and transaction, so one name serves all. */
const CURSOR = "wfstore_export";

/**
 * An export from one consistent snapshot: a read-only REPEATABLE READ transaction on a connection of
 * its own, and a server-side cursor over the list-order index, fetched forward as the caller reads.
 * Memory is one fetch, whatever the size of the project. The connection goes back to the pool on
 * `close` (or is discarded after a failure, its state being unknown, or when the backend closes:
 * `abort`, after which reads fail with CLOSED and the pool can end).
 */
export class PostgresSnapshot implements SnapshotReader {
  private client: PoolClient | undefined;
  /**
   * Between reads the connection is checked out but idle: the pool no longer listens to it, and a
   * connection that dies then (a server restart, pg_terminate_backend) emits 'error' on the client,
   * which without a listener would crash the process. The next read fails on the dead connection.
   */
  private readonly onError = () => {};
  private aborted = false;

  private constructor(
    private readonly connection: Connection,
    client: PoolClient,
    private readonly target: ErrorTarget,
    private readonly onRelease: (snapshot: PostgresSnapshot) => void,
  ) {
    this.client = client;
  }

  /** `declare` selects the entries in list order; it becomes the cursor's query. */
  static async open(
    connection: Connection,
    declare: QueryConfig,
    target: ErrorTarget,
    onRelease: (snapshot: PostgresSnapshot) => void,
  ): Promise<PostgresSnapshot> {
    let client: PoolClient;
    try {
      client = await connection.pool.connect();
    } catch (error) {
      throw connection.failed(error, "export", target, false);
    }
    const snapshot = new PostgresSnapshot(connection, client, target, onRelease);
    client.on("error", snapshot.onError);
    try {
      await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
      // The cursor walks the list-order index rather than sorting the project (see list_entries).
      await client.query("SET LOCAL enable_sort = off");
      await client.query({ ...declare, text: `DECLARE ${CURSOR} NO SCROLL CURSOR FOR ${declare.text}` });
    } catch (error) {
      snapshot.release(client, error);
      throw connection.failed(error, "export", target, false);
    }
    return snapshot;
  }

  async read(limit: number): Promise<StoreEntry[]> {
    if (this.aborted) throw errors.closed("export");
    const client = this.client;
    if (!client) return [];
    try {
      const result = await client.query<EntryRow>({
        text: `FETCH FORWARD ${Math.trunc(limit)} FROM ${CURSOR}`,
        rowMode: "array",
      } as QueryConfig);
      return result.rows.map(toEntry);
    } catch (error) {
      this.release(client, error);
      throw this.connection.failed(error, "export", this.target, false);
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    if (!client) return;
    try {
      await client.query("COMMIT");
      this.release(client);
    } catch (error) {
      this.release(client, error);
      throw this.connection.failed(error, "export", this.target, false);
    }
  }

  /** The backend is closing: drop the connection (ending the transaction), and fail later reads. */
  abort(): void {
    this.aborted = true;
    if (this.client) this.release(this.client, new Error("the backend was closed during an export"));
  }

  /** Back to the pool; after a failure the connection is discarded, its state being unknown. */
  private release(client: PoolClient, failure?: unknown): void {
    this.client = undefined;
    this.onRelease(this);
    client.removeListener("error", this.onError);
    if (failure === undefined) client.release();
    else client.release(failure instanceof Error ? failure : new Error(String(failure)));
  }
}
