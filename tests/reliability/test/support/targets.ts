import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { TargetSpec } from "../fixtures/open-store.mjs";
import { dropSchema, POSTGRES_URL, uniqueSchema } from "./postgres";

const here = path.dirname(fileURLToPath(import.meta.url));
const packagesDir = path.resolve(here, "../../../../packages");

/** The command backend's persistent protocol-v2 reference provider. */
export const KV_V2 = path.join(packagesDir, "backend-command/providers/kv-v2.mjs");
/** The command backend's protocol-v1 reference provider (POSIX sh). */
export const KV_SH = path.join(packagesDir, "backend-command/providers/kv.sh");

export type TargetName = "local" | "file" | "postgres" | "command-v2";

/** Every backend the suite runs its multi-process and property parts on. */
export const TARGETS: readonly TargetName[] = ["local", "file", "postgres", "command-v2"];

export interface Target {
  name: TargetName;
  spec: TargetSpec;
  dataDir: string;
  /** Removes the data directory and whatever the backend keeps elsewhere (a PostgreSQL schema). */
  cleanup(): Promise<void>;
}

export function tempDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `wfstore-rel-${tag}-`));
}

/** A fresh data directory (and schema) for one backend. */
export function makeTarget(name: TargetName): Target {
  const dataDir = tempDir(name);
  let schema: string | undefined;
  let spec: TargetSpec;
  switch (name) {
    case "local":
      spec = { backend: "local", options: {} };
      break;
    case "file":
      spec = { backend: "file", options: { fsync: "always" } };
      break;
    case "postgres":
      schema = uniqueSchema("rel");
      spec = { backend: "postgres", options: { connectionString: POSTGRES_URL, schema, poolMax: 4 } };
      break;
    case "command-v2":
      // kv-v2.mjs keeps its journal in its working directory.
      spec = { backend: "command", options: { process: [process.execPath, KV_V2], workingDir: dataDir } };
      break;
  }
  return {
    name,
    spec,
    dataDir,
    async cleanup() {
      fs.rmSync(dataDir, { recursive: true, force: true });
      if (schema) await dropSchema(schema);
    },
  };
}
