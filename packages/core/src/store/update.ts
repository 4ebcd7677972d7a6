import { setTimeout as sleep } from "node:timers/promises";
import type { JsonValue, StoreEntry } from "../types";

/** Returned by an update function to leave the entry as it is. */
export const SKIP_UPDATE: unique symbol = Symbol.for("@store/core.skip-update");

/** Computes the new value from the current one (`undefined` when absent), or `SKIP_UPDATE`. */
export type UpdateFunction = (
  value: JsonValue | undefined,
  entry: StoreEntry | undefined,
) => JsonValue | typeof SKIP_UPDATE | Promise<JsonValue | typeof SKIP_UPDATE>;

export interface UpdateOptions {
  /** The task writing the entry. */
  taskId?: string;
  /** How many read-modify-write attempts before giving up with CONFLICT. Default 64. */
  maxAttempts?: number;
}

export interface UpdateResult {
  /** False when the function returned `SKIP_UPDATE`. */
  written: boolean;
  /** The entry as written, or as found when nothing was written (`undefined`: absent). */
  entry: StoreEntry | undefined;
  /** How many times the function ran. */
  attempts: number;
}

/**
 * Waits before the next attempt: "full jitter" exponential backoff (a random time up to 1, 2, 4 …
 * ms, capped at 200 ms), so writers that collided spread out instead of colliding again.
 */
export function backoff(attempt: number): Promise<void> {
  const ceiling = Math.min(200, 2 ** Math.min(attempt, 8));
  return sleep(Math.random() * ceiling);
}
