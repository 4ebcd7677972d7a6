import {
  type BackendInstance,
  type Conflict,
  conflict,
  type DeleteOptions,
  type GetQuery,
  type ListQuery,
  type PruneQuery,
  type PutOptions,
  type PutRecord,
  type SnapshotQuery,
  type SnapshotReader,
  type StoreEntry,
  type StoreRef,
} from "@store/core/backend";
import type { QueryConfig } from "pg";
import { Connection } from "./connection";
import { errors } from "./errors";
import { keyOrder } from "./key-order";
import { ensureSchema, type MigrationOutcome } from "./migrate";
import type { ResolvedPostgresOptions } from "./options";
import { chunksForPutMany } from "./put-many";
import { type EntryRow, toEntry } from "./rows";
import { PostgresSnapshot } from "./snapshot";
import {
  type PostgresStatements,
  type PreparedStatement,
  postgresStatements,
  statementNames,
} from "./statements";

/** A bigint column as pg returns it (a string), as a number; NULL as undefined. */
function versionOf(value: string | null | undefined): number | undefined {
  return value === null || value === undefined ? undefined : Number(value);
}

/**
 * One pool, serving every store and project of a provider. Each operation is one statement: reads
 * are plain SELECTs on the primary key or the recency index, writes call the schema's functions,
 * which check conditions, write, trim and keep the version floor in one transaction.
 */
export class PostgresBackend implements BackendInstance {
  private closed = false;
  /** Exports in progress, each holding a connection; ended when the backend closes. */
  private readonly snapshots = new Set<PostgresSnapshot>();
  private readonly sql: PostgresStatements;
  private readonly names: Record<PreparedStatement, string>;

  private constructor(
    private readonly connection: Connection,
    /** What starting found and did to the schema (tests and logs). */
    readonly migration: MigrationOutcome,
    readonly schema: string,
  ) {
    this.sql = postgresStatements(schema);
    this.names = statementNames(schema);
  }

  /** Opens the pool (or takes the application's) and makes sure the schema is current. */
  static async open(options: ResolvedPostgresOptions): Promise<PostgresBackend> {
    const connection = Connection.open(options);
    try {
      const migration = await ensureSchema(connection, options.migrate);
      return new PostgresBackend(connection, migration, options.schema);
    } catch (error) {
      await connection.close().catch(() => {});
      throw error;
    }
  }

  private query(op: PreparedStatement, values: unknown[]): QueryConfig {
    return { name: this.names[op], text: this.sql[op], values, rowMode: "array" } as QueryConfig;
  }

  private open(doing: string): void {
    if (this.closed) throw errors.closed(doing);
  }

  async get(ref: StoreRef, key: string, { notBefore }: GetQuery): Promise<StoreEntry | undefined> {
    this.open("get");
    const rows = await this.connection.read<EntryRow>(
      this.query("get", [ref.store, ref.project, key, notBefore ?? ""]),
      "get",
      { ref, key },
    );
    return rows[0] && toEntry(rows[0]);
  }

  async put(ref: StoreRef, record: PutRecord, options: PutOptions): Promise<number | Conflict> {
    this.open("put");
    const rows = await this.connection.write<[string | null, string | null]>(
      this.query("put", [
        ref.store,
        ref.project,
        record.key,
        keyOrder(record.key),
        record.json,
        record.taskId,
        record.updatedAt,
        record.createdAt ?? null,
        record.version ?? null,
        options.ifVersion ?? null,
        options.ifAbsent === true,
        options.notBefore ?? "",
        options.maxEntries ?? null,
      ]),
      "put",
      { ref, key: record.key },
    );
    const [written, current] = rows[0] ?? [null, null];
    return written === null ? conflict(versionOf(current)) : Number(written);
  }

  async delete(ref: StoreRef, key: string, options: DeleteOptions): Promise<boolean | Conflict> {
    this.open("delete");
    const rows = await this.connection.write<[boolean, boolean, string | null]>(
      this.query("delete", [ref.store, ref.project, key, options.ifVersion ?? null, options.notBefore ?? ""]),
      "delete",
      { ref, key },
    );
    const [existed, conflicted, current] = rows[0] ?? [false, false, null];
    return conflicted ? conflict(versionOf(current)) : existed;
  }

  async list(ref: StoreRef, { limit, offset, after, notBefore }: ListQuery): Promise<StoreEntry[]> {
    this.open("list");
    const since = notBefore ?? "";
    const query = after
      ? this.query("listAfter", [
          ref.store,
          ref.project,
          since,
          after.updatedAt,
          keyOrder(after.key),
          limit,
          offset,
        ])
      : this.query("list", [ref.store, ref.project, since, limit, offset]);
    const rows = await this.connection.read<EntryRow>(query, "list", { ref });
    return rows.map(toEntry);
  }

  async prune(ref: StoreRef, { maxEntries, olderThan }: PruneQuery): Promise<number> {
    this.open("prune");
    const rows = await this.connection.write<[string]>(
      this.query("prune", [ref.store, ref.project, maxEntries ?? null, olderThan ?? null]),
      "prune",
      { ref },
    );
    return Number(rows[0]?.[0] ?? 0);
  }

  /** Export from one consistent snapshot, through a server-side cursor (see PostgresSnapshot). */
  async snapshot(ref: StoreRef, { notBefore }: SnapshotQuery): Promise<SnapshotReader> {
    this.open("export");
    const declare = { text: this.sql.snapshot, values: [ref.store, ref.project, notBefore ?? ""] };
    const snapshot = await PostgresSnapshot.open(this.connection, declare, { ref }, (done) =>
      this.snapshots.delete(done),
    );
    if (this.closed) {
      snapshot.abort(); // closed while the snapshot was opening
      throw errors.closed("export");
    }
    this.snapshots.add(snapshot);
    return snapshot;
  }

  /**
   * Import: each batch is one multi-row statement (`put_many`: arrays unnested server-side). A batch
   * that repeats a key, or is too large for one statement, is split, and the parts run in one
   * transaction.
   */
  async putMany(ref: StoreRef, records: PutRecord[]): Promise<void> {
    this.open("import");
    if (records.length === 0) return;
    const target = { ref, details: { records: records.length } };
    const chunks = chunksForPutMany(records);
    const values = (chunk: PutRecord[]) => [
      ref.store,
      ref.project,
      chunk.map((r) => r.key),
      chunk.map((r) => keyOrder(r.key)),
      chunk.map((r) => r.json),
      chunk.map((r) => r.taskId),
      chunk.map((r) => r.createdAt ?? null),
      chunk.map((r) => r.updatedAt),
      chunk.map((r) => r.version ?? null),
    ];
    if (chunks.length === 1) {
      await this.connection.write(this.query("putMany", values(chunks[0] as PutRecord[])), "import", target);
      return;
    }
    await this.connection.transaction(
      async (client) => {
        for (const chunk of chunks) await client.query(this.query("putMany", values(chunk)));
      },
      "import",
      target,
    );
  }

  /** Drains and ends the pool (unless the application gave it). Operations after close fail with CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // An export left open holds a connection, which the pool would wait for.
    for (const snapshot of this.snapshots) snapshot.abort();
    await this.connection.close();
  }
}
