import fs from "node:fs";
import path from "node:path";
import { createTestManager, type TestManager, type TestManagerOptions } from "@store/testkit";
import { type FileBackendOptions, fileBackend } from "../src/index";

export interface FileTestManager extends TestManager {
  warnings: string[];
  /** The directory of a store's project: `<dataDir>/stores/<store>/<project or _default>`. */
  dir(store?: string, project?: string): string;
}

/** A StoreManager on a fresh data dir (or `dataDir`), whose auto-provisioned stores use the file backend. */
export async function fileManager(
  options: { backend?: FileBackendOptions; dataDir?: string; stores?: TestManagerOptions["stores"] } = {},
): Promise<FileTestManager> {
  const warnings: string[] = [];
  const t = await createTestManager({
    backend: fileBackend,
    options: () => ({ ...options.backend }) as Record<string, unknown>,
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.stores ? { stores: options.stores } : {}),
    managerOptions: { onWarning: (m: string) => warnings.push(m) },
  });
  return {
    ...t,
    warnings,
    dir: (store = "s", project = "") =>
      path.join(t.dataDir, "stores", store, project === "" ? "_default" : project),
  };
}

/** Every file under `root`, as paths relative to it (directories excluded). */
export function listTree(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}

/** The value files of a store directory (what a person sees with `ls`). */
export function valueFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((n) => !n.startsWith("."))
    .sort();
}

export function logLines(dir: string): string[] {
  return fs
    .readFileSync(path.join(dir, ".meta", "index.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean);
}
