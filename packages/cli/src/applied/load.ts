import fs from "node:fs";
import { KINDS, ResourceSet, StoreError } from "@store/core";
import { idOfFile, isResourceName, KIND_DIRS, kindDir, type ResourceId } from "./layout";
import { type AppliedResource, loadRecord } from "./records";

export type Warn = (message: string) => void;

/** A resource set of applied records, for StoreManager and mergeResources. */
export function resourceSetOf(records: readonly AppliedResource[]): ResourceSet {
  return new ResourceSet({
    stores: records.flatMap((r) => (r.store ? [r.store] : [])),
    providers: records.flatMap((r) => (r.provider ? [r.provider] : [])),
    documents: records.map((r) => r.loaded),
  });
}

/** Every applied resource, stores first, each kind sorted by file name. */
export function loadAllApplied(dataDir: string, warn: Warn): AppliedResource[] {
  const out: AppliedResource[] = [];
  for (const kind of Object.keys(KIND_DIRS)) {
    for (const id of appliedIds(dataDir, kind)) {
      const record = loadRecord(dataDir, id, warn);
      if (record) out.push(record);
    }
  }
  return out;
}

/**
 * What one store needs, and nothing else: its definitions (the project's, then the unscoped one) and
 * the providers they, or `extraProviders` (named by `-f` manifests), use. A command on one store reads
 * two or three small files whatever else is applied, and never another store's schema.
 */
export function loadAppliedForStore(
  dataDir: string,
  store: string,
  project: string,
  extraProviders: readonly string[],
  warn: Warn,
): AppliedResource[] {
  const out: AppliedResource[] = [];
  // An invalid name is refused by core with its own message; it must never become a file path here.
  if (!isResourceName(store) || (project !== "" && !isResourceName(project))) return out;
  const ids: ResourceId[] = [
    ...(project ? [{ kind: KINDS.store, name: store, project }] : []),
    { kind: KINDS.store, name: store },
  ];
  for (const id of ids) {
    const record = loadRecord(dataDir, id, warn);
    if (record) out.push(record);
  }
  const providers = new Set([...out.map((r) => r.store?.provider ?? ""), ...extraProviders]);
  for (const name of providers) {
    const record = loadAppliedProvider(dataDir, name, warn);
    if (record) out.push(record);
  }
  return out;
}

/** A provider's record; builtin names (`local`, `file`) are looked up too: a manifest may declare them. */
export function loadAppliedProvider(dataDir: string, name: string, warn: Warn): AppliedResource | undefined {
  if (!isResourceName(name)) return undefined;
  return loadRecord(dataDir, { kind: KINDS.provider, name }, warn);
}

/** The ids of the applied resources of one kind: regular files named like a record, nothing else. */
function appliedIds(dataDir: string, kind: string): ResourceId[] {
  const dir = kindDir(dataDir, kind);
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new StoreError(
      "BACKEND_IO",
      `cannot read the applied resources in ${dir}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return entries
    .filter((e) => e.isFile())
    .map((e) => e.name)
    .sort()
    .flatMap((n) => {
      const id = idOfFile(kind, n);
      return id ? [id] : [];
    });
}
