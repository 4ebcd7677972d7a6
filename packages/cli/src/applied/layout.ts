import path from "node:path";
import { KINDS, ManifestError, type ResourceSet } from "@store/core";

/**
 * Where `apply` keeps resources, apart from every store's data by construction:
 *
 *   <data dir>/.wfstore-cli/resources/workflowstores/<name>.json
 *   <data dir>/.wfstore-cli/resources/workflowstores/<name>@<project>.json
 *   <data dir>/.wfstore-cli/resources/storebackendproviders/<name>.json
 *
 * Builtin backends keep data in the data directory too (`store.sqlite`, `stores/<store>/<project>/`),
 * and a file store's `base_path` can name any directory inside it. No store name can be `.wfstore-cli`
 * (names start with a letter or digit), and a `base_path` that starts with it is refused (below), so
 * no store ever writes here. Reading never trusts a directory listing blindly either: only regular
 * files with a resource's name count.
 */
export const STATE_DIR = ".wfstore-cli";
const RESOURCES = "resources";

export const KIND_DIRS: Readonly<Record<string, string>> = Object.freeze({
  [KINDS.store]: "workflowstores",
  [KINDS.provider]: "storebackendproviders",
});

export interface ResourceId {
  kind: string;
  name: string;
  project?: string;
}

export function stateDir(dataDir: string): string {
  return path.join(dataDir, STATE_DIR);
}

export function resourcesDir(dataDir: string): string {
  return path.join(stateDir(dataDir), RESOURCES);
}

export function kindDir(dataDir: string, kind: string): string {
  const dir = KIND_DIRS[kind];
  if (!dir) throw new Error(`not a wfstore kind: ${kind}`);
  return path.join(resourcesDir(dataDir), dir);
}

/** A store, provider or project name as core accepts it: safe as a file name. */
export function isResourceName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(name) && !name.includes("..");
}

/** Names are [A-Za-z0-9._-] and never contain "@", so the file name is unambiguous. */
export function recordFile(dataDir: string, id: ResourceId): string {
  if (!isResourceName(id.name) || (id.project !== undefined && !isResourceName(id.project))) {
    throw new Error(`not a resource name: ${JSON.stringify(id)}`); // callers check names first
  }
  return path.join(kindDir(dataDir, id.kind), `${id.name}${id.project ? `@${id.project}` : ""}.json`);
}

/** The id a record file name stands for, or undefined for anything that is not one. */
export function idOfFile(kind: string, fileName: string): ResourceId | undefined {
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*?)(?:@([A-Za-z0-9][A-Za-z0-9._-]*))?\.json$/.exec(fileName);
  if (!m) return undefined;
  return { kind, name: m[1] as string, ...(m[2] ? { project: m[2] } : {}) };
}

/** `workflowstore/metrics`, `workflowstore/metrics (project p)`, as kubectl names resources. */
export function displayId(id: ResourceId): string {
  return `${id.kind.toLowerCase()}/${id.name}${id.project ? ` (project ${id.project})` : ""}`;
}

/**
 * Refuses stores whose `base_path` leads into the CLI's own directory: their data would land among
 * the applied resources. Compared without case, for case-insensitive file systems.
 */
export function checkReservedPaths(resources: ResourceSet): void {
  const issues = resources.stores
    .filter((s) => s.basePath !== undefined && firstSegment(s.basePath).toLowerCase() === STATE_DIR)
    .map((s) => ({
      path: "spec.base_path",
      message: `"${s.basePath}" is inside ${STATE_DIR}/, where wfstore keeps the applied resources: choose another base_path`,
      ...s.source,
    }));
  if (issues.length > 0) throw new ManifestError(issues);
}

function firstSegment(basePath: string): string {
  return basePath.split("/").find((s) => s !== "" && s !== ".") ?? "";
}
