import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

/** The reference providers kept in the repository. */
export const PROVIDERS = path.resolve(here, "../providers");
export const KV_SH = path.join(PROVIDERS, "kv.sh");
export const KV_V2 = path.join(PROVIDERS, "kv-v2.mjs");
export const MEMORY_V2 = path.join(PROVIDERS, "memory-v2.mjs");
export const FIXTURES = path.join(here, "fixtures");

/** v1 options running kv.sh as argv commands (no shell) with its data under `dataDir`. */
export function kvShOptions(dataDir: string, extra: Record<string, unknown> = {}) {
  const op = (name: string) => [KV_SH, name];
  return {
    commands: { get: op("get"), put: op("put"), delete: op("delete"), list: op("list"), prune: op("prune") },
    workingDir: dataDir,
    putReadsStdin: true,
    conditionalWrites: true,
    ...extra,
  };
}
