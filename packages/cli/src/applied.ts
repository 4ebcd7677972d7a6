import fs from "node:fs";
import path from "node:path";
import {
  BASE_DIR_ANNOTATION,
  KINDS,
  type LoadedDocument,
  loadManifests,
  type ManifestDocument,
  ResourceSet,
  StoreError,
} from "@store/core";
import YAML from "yaml";

/**
 * Applied resources live in `<data dir>/resources/`, one YAML file per resource:
 *   workflowstores/<name>.yaml, workflowstores/<name>@<project>.yaml, storebackendproviders/<name>.yaml
 * Names are [A-Za-z0-9._-] and never contain "@", so the file name is unambiguous.
 */
export const RESOURCES_DIR = "resources";
const KIND_DIRS: Record<string, string> = {
  [KINDS.store]: "workflowstores",
  [KINDS.provider]: "storebackendproviders",
};

export interface ResourceId {
  kind: string;
  name: string;
  project?: string;
}

export function resourcesDir(dataDir: string): string {
  return path.join(dataDir, RESOURCES_DIR);
}

export function resourceFile(dataDir: string, id: ResourceId): string {
  const dir = KIND_DIRS[id.kind];
  if (!dir) throw new Error(`not a wfstore kind: ${id.kind}`);
  return path.join(resourcesDir(dataDir), dir, `${id.name}${id.project ? `@${id.project}` : ""}.yaml`);
}

/** `workflowstore/metrics`, `workflowstore/metrics (project p)`, as kubectl names resources. */
export function displayId(id: ResourceId): string {
  return `${id.kind.toLowerCase()}/${id.name}${id.project ? ` (project ${id.project})` : ""}`;
}

export function idOf(doc: ManifestDocument): ResourceId {
  const m = doc.metadata ?? {};
  return {
    kind: String(doc.kind),
    name: String(m.name),
    ...(doc.kind === KINDS.store && typeof m.project === "string" && m.project ? { project: m.project } : {}),
  };
}

/** The files of every applied resource, sorted. */
export function appliedFiles(dataDir: string): string[] {
  const files: string[] = [];
  for (const dir of Object.values(KIND_DIRS)) {
    const full = path.join(resourcesDir(dataDir), dir);
    let names: string[];
    try {
      names = fs.readdirSync(full);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw ioError(`cannot read the applied resources in ${full}`, error);
    }
    files.push(
      ...names
        .filter((n) => n.endsWith(".yaml"))
        .sort()
        .map((n) => path.join(full, n)),
    );
  }
  return files;
}

/** The applied resources, validated like any manifest (a hand-edited file gets file:line:col errors). */
export function loadApplied(dataDir: string): ResourceSet {
  const files = appliedFiles(dataDir);
  return files.length === 0 ? ResourceSet.empty() : loadManifests({ paths: files });
}

export type ApplyAction = "created" | "configured" | "unchanged";

/**
 * Saves one validated document. A provider gets the base-dir annotation (the absolute directory of the
 * manifest it came from) so that its relative commands still resolve from the data directory.
 * Written to a temporary file and renamed, so a concurrent reader never sees half a file.
 */
export function saveResource(
  dataDir: string,
  loaded: LoadedDocument,
): { id: ResourceId; file: string; action: ApplyAction } {
  const id = idOf(loaded.document);
  const file = resourceFile(dataDir, id);
  const document = structuredClone(loaded.document);
  if (document.kind === KINDS.provider) {
    const from = loaded.source.file;
    document.metadata ??= {};
    const metadata = document.metadata;
    metadata.annotations ??= {};
    const annotations = metadata.annotations as Record<string, string>;
    if (annotations[BASE_DIR_ANNOTATION] === undefined && from && !from.startsWith("<")) {
      annotations[BASE_DIR_ANNOTATION] = path.dirname(path.resolve(from));
    }
  }
  const body = YAML.stringify(document, { lineWidth: 0 });
  const origin = loaded.source.file
    ? `${path.resolve(loaded.source.file)}${loaded.source.line ? `:${loaded.source.line}` : ""}`
    : "<input>";
  const text = `# Applied by \`wfstore apply\` from ${origin}\n# Edit the source manifest and apply it again rather than this copy.\n${body}`;
  let previous: string | undefined;
  try {
    previous = fs.readFileSync(file, "utf8");
  } catch {
    previous = undefined;
  }
  if (previous !== undefined && sameDocument(previous, body)) return { id, file, action: "unchanged" };
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (error) {
    throw ioError(`cannot save ${displayId(id)} in ${file}`, error);
  }
  return { id, file, action: previous === undefined ? "created" : "configured" };
}

/** Removes an applied resource; false when it was not applied. */
export function removeResource(dataDir: string, id: ResourceId): boolean {
  const file = resourceFile(dataDir, id);
  try {
    fs.unlinkSync(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw ioError(`cannot remove ${displayId(id)} (${file})`, error);
  }
}

function sameDocument(previousText: string, body: string): boolean {
  try {
    return JSON.stringify(YAML.parse(previousText)) === JSON.stringify(YAML.parse(body));
  } catch {
    return false;
  }
}

function ioError(message: string, cause: unknown): StoreError {
  return new StoreError("BACKEND_IO", `${message}: ${(cause as Error).message}`, { cause });
}
