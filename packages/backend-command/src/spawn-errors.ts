import fs from "node:fs";
import { quoteStart, type StoreError } from "@store/core/backend";
import { type OpLabel, providerError } from "./errors";
import type { Invocation } from "./options";

/** A command that could not be started: the missing executable or working directory is named. */
export function spawnFailure(
  label: OpLabel,
  invocation: Invocation,
  cwd: string,
  error: { code?: string | undefined; message: string },
): StoreError {
  let reason: string;
  if (error.code === "ENOENT" && !fs.existsSync(cwd)) reason = `the working directory ${cwd} does not exist`;
  else if (error.code === "ENOENT")
    reason = `executable ${quoteStart(invocation.file, 300)} not found (working directory ${cwd})`;
  else if (error.code === "EACCES")
    reason = `executable ${quoteStart(invocation.file, 300)} is not executable (permission denied)`;
  else if (error.code === "E2BIG") reason = "the environment and arguments are too large for exec (E2BIG)";
  else reason = `cannot start ${invocation.display}: ${error.message}`;
  return providerError("PROVIDER_FAILED", label, reason, { cause: error, details: { errno: error.code } });
}
