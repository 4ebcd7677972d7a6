import fs from "node:fs";
import type { StoreError } from "@store/core/backend";
import { type OpLabel, providerError } from "../errors";

/**
 * Linux refuses one environment string longer than MAX_ARG_STRLEN (32 pages = 128 KiB, counting
 * `VALUE=` and the terminating NUL): exec fails with E2BIG.
 */
export const MAX_ENV_STRING_BYTES = 128 * 1024;
/** The largest value `$VALUE` can hold. */
export const VALUE_ENV_MAX_BYTES = MAX_ENV_STRING_BYTES - "VALUE=".length - 1;

let checkable: number | undefined;

/**
 * The smallest value whose unread stdin the backend can see. A write the kernel buffers completely
 * (a socket buffer, `net.core.wmem_default`, 208 KiB by default on Linux) succeeds whether or not the
 * command reads it; a larger one fails with EPIPE when the command exits without reading.
 */
export function stdinCheckBytes(): number {
  if (checkable === undefined) {
    let buffer = 0;
    try {
      buffer = Number.parseInt(fs.readFileSync("/proc/sys/net/core/wmem_default", "utf8"), 10) || 0;
    } catch {
      // Not Linux: socket buffers elsewhere are smaller than the floor below.
    }
    checkable = Math.max(1024 * 1024, 2 * buffer);
  }
  return checkable;
}

/** A value passed on stdin only, and whether the provider declared that it reads it there. */
export interface StdinOnly {
  bytes: number;
  declared: boolean;
}

/**
 * How a put passes its value. Up to VALUE_ENV_MAX_BYTES: in `$VALUE` and on stdin. Larger: on stdin
 * only, with `$VALUE_BYTES`, when the provider declared `put_reads_stdin`, or when the value is large
 * enough that a command that does not read it is caught (stdinCheckBytes). In between, a provider
 * that did not declare it is refused before anything runs: it might store an empty `$VALUE` unseen.
 */
export function valuePassing(bytes: number, putReadsStdin: boolean, label: OpLabel): StdinOnly | undefined {
  if (bytes <= VALUE_ENV_MAX_BYTES) return undefined;
  if (putReadsStdin || bytes >= stdinCheckBytes()) return { bytes, declared: putReadsStdin };
  throw providerError(
    "VALUE_TOO_LARGE",
    label,
    `the value is ${bytes} bytes, too large for the $VALUE environment variable (at most ${VALUE_ENV_MAX_BYTES} bytes); nothing was run. If the put command reads the value from stdin (it is always written there), set put_reads_stdin: true in the provider's spec`,
    { details: { bytes, limit: VALUE_ENV_MAX_BYTES } },
  );
}

/** Why a stdin-only put failed, appended to a failure's reason. */
export function stdinOnlyHint(stdin: StdinOnly): string {
  return ` (the value, ${stdin.bytes} bytes, is too large for the $VALUE environment variable, at most ${VALUE_ENV_MAX_BYTES} bytes, so it was passed on stdin only: the put command must read it from there)`;
}

/** The command exited 0 without reading a stdin-only value. */
export function unreadValue(stdin: StdinOnly, label: OpLabel): StoreError {
  if (stdin.declared) {
    return providerError(
      "PROVIDER_PROTOCOL",
      label,
      `the command exited without reading its stdin${stdinOnlyHint(stdin)}`,
      {
        details: { bytes: stdin.bytes, limit: VALUE_ENV_MAX_BYTES },
      },
    );
  }
  return providerError(
    "VALUE_TOO_LARGE",
    label,
    `the value is ${stdin.bytes} bytes, too large for the $VALUE environment variable (at most ${VALUE_ENV_MAX_BYTES} bytes), so it was passed on stdin only, and the put command exited without reading it: it takes values from $VALUE only. It exited 0, so check what it stored for this key`,
    { details: { bytes: stdin.bytes, limit: VALUE_ENV_MAX_BYTES } },
  );
}
