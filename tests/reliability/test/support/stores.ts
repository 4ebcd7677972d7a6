import type { StoreEntry, StoreHandle, StoreManager } from "@store/core";
import { openManager } from "../fixtures/open-store.mjs";
import type { Target } from "./targets";

/** A manager of the suite's own process on a target's data (the packages from source). */
export function managerOn(
  target: Pick<Target, "spec" | "dataDir">,
  options: Parameters<typeof openManager>[2] = {},
): StoreManager {
  return openManager(target.spec, target.dataDir, options);
}

/** Every entry, in list order, through the paging export uses. */
export async function allEntries(store: StoreHandle): Promise<StoreEntry[]> {
  const out: StoreEntry[] = [];
  for await (const entry of store.entries({ batchSize: 500 })) out.push(entry);
  return out;
}

/** Runs `fn` with a manager on the target, closing it afterwards. */
export async function withManager<T>(
  target: Pick<Target, "spec" | "dataDir">,
  fn: (manager: StoreManager) => Promise<T>,
  options: Parameters<typeof openManager>[2] = {},
): Promise<T> {
  const manager = managerOn(target, options);
  try {
    return await fn(manager);
  } finally {
    await manager.close();
  }
}

/** The error code a call rejects with ("NO_ERROR" when it resolves, "NOT_A_STORE_ERROR" for others). */
export async function codeOf(call: () => unknown): Promise<string> {
  try {
    await call();
    return "NO_ERROR";
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" ? code : `NOT_A_STORE_ERROR: ${String(error)}`;
  }
}
