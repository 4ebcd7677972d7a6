import { backendErrors, type ErrorTarget, StoreError } from "@store/core/backend";
import { POSTGRES_BACKEND_NAME } from "./options";
import type { Redact } from "./redact";

/** Every error of this backend: its messages start with `postgres: `. */
export const errors = backendErrors(POSTGRES_BACKEND_NAME);

/**
 * What went wrong, as far as it matters to the caller:
 * - `unreachable`: no connection could be opened (refused, unknown host, timeout, server full);
 * - `lost`: an open connection died (server restart, `pg_terminate_backend`, network);
 * - `unsent`: the connection was already dead, so the statement never reached the server;
 * - `timeout`: the server cancelled the statement (`statement_timeout`);
 * - `login`, `schema`, `privilege`: refused logins, a missing schema or function, missing rights.
 */
export type FailureKind =
  | "unreachable"
  | "lost"
  | "unsent"
  | "timeout"
  | "login"
  | "schema"
  | "privilege"
  | "other";

export interface Failure {
  kind: FailureKind;
  /** The driver's or server's message, with secrets removed. */
  message: string;
  /** The SQLSTATE of a server error (`57014`…), or Node's errno (`ECONNREFUSED`…). */
  code: string | undefined;
}

const UNREACHABLE_ERRNO = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
]);
const LOST_ERRNO = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED"]);

function sqlState(code: string | undefined): string | undefined {
  return code && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function kindOf(message: string, code: string | undefined): FailureKind {
  const state = sqlState(code);
  if (state) {
    if (state === "57014") return "timeout";
    if (state === "57P01" || state === "57P02" || state.startsWith("08")) return "lost";
    if (state === "57P03" || state === "53300") return "unreachable";
    if (state === "28P01" || state === "28000" || state === "3D000") return "login";
    if (state === "42P01" || state === "3F000" || state === "42883") return "schema";
    if (state === "42501") return "privilege";
    return "other";
  }
  if (code && UNREACHABLE_ERRNO.has(code)) return "unreachable";
  if (code && LOST_ERRNO.has(code)) return "lost";
  if (/not queryable/.test(message)) return "unsent";
  if (/timeout exceeded when trying to connect|connection timeout/i.test(message)) return "unreachable";
  if (/Connection terminated/i.test(message)) return "lost";
  return "other";
}

/** Classifies a failure from `pg` and strips secrets from its message. */
export function failureOf(error: unknown, redact: Redact): Failure {
  const e = error as { message?: unknown; code?: unknown } | null;
  const message = redact(typeof e?.message === "string" ? e.message : String(error));
  const code = typeof e?.code === "string" ? e.code : undefined;
  return { kind: kindOf(message, code), message, code };
}

/** Where the backend connects, for messages: never the password. */
export interface ServerDescription {
  /** `127.0.0.1:5432, database "test", user "postgres"`. */
  where: string;
  schema: string;
  statementTimeoutMs: number;
}

/** The message for a failure: what happened and what to do about it. */
function explain(f: Failure, server: ServerDescription, write: boolean): string {
  switch (f.kind) {
    case "unreachable":
      return `cannot connect to PostgreSQL at ${server.where}: ${f.message}`;
    case "lost":
    case "unsent":
      return `the connection to PostgreSQL at ${server.where} was lost (${f.message})${
        write && f.kind === "lost" ? "; the write may or may not have been applied" : ""
      }; the next operation opens a new connection`;
    case "timeout":
      return server.statementTimeoutMs > 0
        ? `${f.message} (statement_timeout is ${server.statementTimeoutMs} ms: raise the option statementTimeoutMs, or 0 for none)`
        : f.message;
    case "login":
      return `PostgreSQL at ${server.where} refused the connection: ${f.message}`;
    case "schema":
      return `the schema "${server.schema}" is missing or incomplete (${f.message}): was it dropped? A restart with migrate on (the default) creates it again; otherwise apply postgresMigrationSql()`;
    case "privilege":
      return `${f.message}: the database user lacks a privilege on schema "${server.schema}"`;
    default:
      return f.code && sqlState(f.code) ? `${f.message} (SQLSTATE ${f.code})` : f.message;
  }
}

/**
 * A failure of an operation as BACKEND_IO naming the operation, its target and the server. The
 * cause is rebuilt from the redacted message (the driver's own error object may hold a connection
 * string), keeping its code; a StoreError passes through unchanged.
 */
export function operationFailed(
  error: unknown,
  doing: string,
  target: ErrorTarget,
  server: ServerDescription,
  redact: Redact,
  write: boolean,
): StoreError {
  if (StoreError.isInstance(error)) return error;
  const f = failureOf(error, redact);
  const cause = Object.assign(new Error(explain(f, server, write)), f.code ? { code: f.code } : {});
  const failed = errors.io(cause, doing, { ...target, details: { ...target.details, failure: f.kind } });
  // errors.io names the cause's stack in inspections: keep it free of the driver's frames and text.
  cause.stack = `Error: ${cause.message}`;
  return failed;
}
