import { StoreError, type StoreErrorCode } from "../errors";
import type { StoreRef } from "../types";

/** Where a failed operation was aimed, for the message and `details`. */
export interface ErrorTarget {
  ref?: StoreRef;
  key?: string;
  details?: Record<string, unknown>;
}

export interface BackendErrors {
  /** A StoreError whose message starts with the backend's name: `local: …`. */
  error(
    code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ): StoreError;
  /**
   * An unknown failure (file system, driver, network) as BACKEND_IO: `local: get of key "k" in store
   * "s": <reason>`, keeping the cause. A StoreError passes through unchanged.
   */
  io(cause: unknown, doing: string, target?: ErrorTarget): StoreError;
  /** CLOSED: the backend was closed before or during the operation. */
  closed(doing?: string): StoreError;
}

/** `key "k" in store "s" (project "p")`. */
export function describeTarget(target: ErrorTarget): string {
  if (!target.ref) return target.key === undefined ? "" : `key ${JSON.stringify(target.key)}`;
  const { store, project } = target.ref;
  const key = target.key === undefined ? "" : `key ${JSON.stringify(target.key)} in `;
  return `${key}store "${store}"${project ? ` (project "${project}")` : ""}`;
}

function targetDetails(target: ErrorTarget): Record<string, unknown> {
  return {
    ...(target.ref ? { store: target.ref.store, project: target.ref.project } : {}),
    ...(target.key === undefined ? {} : { key: target.key }),
    ...target.details,
  };
}

/**
 * The one way a backend makes its errors, so every message names the backend first (as unstorage's
 * drivers do): `const errors = backendErrors("redis")`, then `throw errors.io(e, "get", { ref, key })`.
 */
export function backendErrors(backendName: string): BackendErrors {
  const prefix = `${backendName}: `;
  return {
    error(code, message, options = {}) {
      return new StoreError(code, message.startsWith(prefix) ? message : prefix + message, options);
    },
    io(cause, doing, target = {}) {
      if (StoreError.isInstance(cause)) return cause;
      const where = describeTarget(target);
      const reason = cause instanceof Error ? cause.message : String(cause);
      const errno = (cause as { code?: unknown } | null)?.code;
      return new StoreError(
        "BACKEND_IO",
        `${prefix}${doing}${where ? ` of ${where}` : ""} failed: ${reason}`,
        {
          cause,
          details: { ...targetDetails(target), ...(typeof errno === "string" ? { errno } : {}) },
        },
      );
    },
    closed(doing) {
      return new StoreError("CLOSED", `${prefix}${doing ? `${doing}: ` : ""}the backend is closed`);
    },
  };
}
