import fs from "node:fs";
import path from "node:path";
import {
  BASE_DIR_ANNOTATION,
  KINDS,
  type LoadedDocument,
  loadManifests,
  type ManifestDocument,
  ManifestError,
  type ResourceSet,
  type StoreBackendProviderConfig,
  StoreError,
  type WorkflowStoreConfig,
} from "@store/core";
import { checksum } from "./checksum";
import { type ResourceId, recordFile } from "./layout";

/**
 * One applied resource on disk: the document as applied and the configuration core made of it when
 * `apply` validated it, so that later commands load it with one JSON.parse (no YAML parser, no ajv,
 * no schema compiled). `checksum` covers both: a file changed by hand no longer matches and is validated
 * again like a manifest, with errors naming the file.
 */
interface RecordFile {
  format: typeof FORMAT;
  kind: string;
  name: string;
  project?: string;
  /** The manifest it came from, `file:line:col`, or `<input>`. */
  applied_from: string;
  document: ManifestDocument;
  /** The validated configuration without `source`, and without what the document holds (schema, spec). */
  config: Record<string, unknown>;
  checksum: string;
}

const FORMAT = 1;

/** An applied resource, loaded. */
export interface AppliedResource {
  id: ResourceId;
  file: string;
  appliedFrom: string;
  loaded: LoadedDocument;
  store?: WorkflowStoreConfig;
  provider?: StoreBackendProviderConfig;
}

export type ApplyAction = "created" | "configured" | "unchanged";

/**
 * Saves one validated resource. A provider gets the base-dir annotation (the absolute directory of the
 * manifest it came from) so that its relative commands resolve from there whatever the working
 * directory later. Written to a temporary file and renamed: a reader never sees half a file.
 */
export function saveRecord(
  dataDir: string,
  loaded: LoadedDocument,
  config: WorkflowStoreConfig | StoreBackendProviderConfig,
): { id: ResourceId; file: string; action: ApplyAction } {
  const document = structuredClone(loaded.document);
  const id = idOfDocument(document);
  const file = recordFile(dataDir, id);
  const { source: _source, ...rest } = config as WorkflowStoreConfig & StoreBackendProviderConfig;
  let stored: Record<string, unknown>;
  if (id.kind === KINDS.provider) {
    const from = loaded.source.file;
    document.metadata ??= {};
    document.metadata.annotations ??= {};
    const annotations = document.metadata.annotations as Record<string, string>;
    if (annotations[BASE_DIR_ANNOTATION] === undefined && from && !from.startsWith("<")) {
      annotations[BASE_DIR_ANNOTATION] = path.dirname(path.resolve(from));
    }
    const { spec: _spec, ...withoutSpec } = rest;
    stored = { ...withoutSpec, baseDir: annotations[BASE_DIR_ANNOTATION] ?? rest.baseDir };
    if (stored.baseDir === undefined) delete stored.baseDir;
  } else {
    const { schema: _schema, ...withoutSchema } = rest;
    stored = withoutSchema;
  }
  const record: RecordFile = {
    format: FORMAT,
    ...id,
    applied_from: origin(loaded.source),
    document,
    config: stored,
    checksum: digest(document, stored),
  };
  const previous = readJson(file);
  if (previous !== undefined) {
    const p = previous as Partial<RecordFile>;
    if (p.checksum === record.checksum && digest(p.document, p.config) === record.checksum) {
      return { id, file, action: "unchanged" };
    }
  }
  writeAtomically(file, `${JSON.stringify(record)}\n`, `cannot save ${id.kind.toLowerCase()}/${id.name}`);
  return { id, file, action: previous === undefined ? "created" : "configured" };
}

/** Removes an applied resource; false when it was not applied. */
export function removeRecord(dataDir: string, id: ResourceId): boolean {
  const file = recordFile(dataDir, id);
  try {
    fs.unlinkSync(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw ioError(`cannot remove ${file}`, error);
  }
}

/**
 * Loads one record, or undefined when there is none. A record whose digest no longer matches (edited
 * by hand) is validated again from its document, exactly as a manifest would be.
 */
export function loadRecord(
  dataDir: string,
  id: ResourceId,
  warn: (message: string) => void,
): AppliedResource | undefined {
  const file = recordFile(dataDir, id);
  const raw = readJson(file);
  if (raw === undefined) return undefined;
  const record = raw as Partial<RecordFile>;
  const consistent =
    typeof record === "object" &&
    record !== null &&
    record.format === FORMAT &&
    record.kind === id.kind &&
    record.name === id.name &&
    (record.project ?? undefined) === id.project &&
    typeof record.document === "object" &&
    record.document !== null &&
    typeof record.config === "object" &&
    record.config !== null &&
    record.checksum === digest(record.document, record.config);
  if (!consistent) return revalidate(file, id, record, warn);
  const document = record.document as ManifestDocument;
  const config = record.config as Record<string, unknown>;
  const source = { file };
  const loaded = { document, source };
  const appliedFrom = typeof record.applied_from === "string" ? record.applied_from : "<input>";
  if (id.kind === KINDS.store) {
    const schema = (document.spec as { schema?: WorkflowStoreConfig["schema"] } | undefined)?.schema;
    const store = { ...config, ...(schema === undefined ? {} : { schema }), source } as WorkflowStoreConfig;
    return { id, file, appliedFrom, loaded, store };
  }
  const provider = { ...config, spec: document.spec ?? {}, source } as StoreBackendProviderConfig;
  return { id, file, appliedFrom, loaded, provider };
}

/** A record that is not what apply wrote: its document checked like any manifest, or a clear error. */
function revalidate(
  file: string,
  id: ResourceId,
  record: Partial<RecordFile>,
  warn: (message: string) => void,
): AppliedResource {
  if (record?.format !== undefined && record.format !== FORMAT) {
    throw new ManifestError([
      {
        path: "",
        file,
        message: `written in format ${JSON.stringify(record.format)} by another version of wfstore (this one reads format ${FORMAT}): apply the manifest again`,
      },
    ]);
  }
  if (typeof record?.document !== "object" || record.document === null) {
    throw new ManifestError([
      { path: "", file, message: "not a resource saved by `wfstore apply`: apply the manifest again" },
    ]);
  }
  const set: ResourceSet = loadManifests({ objects: [record.document], origin: file });
  const loaded = set.documents[0];
  const actual = loaded ? idOfDocument(loaded.document) : undefined;
  if (!loaded || actual?.kind !== id.kind || actual.name !== id.name || actual.project !== id.project) {
    throw new ManifestError([
      {
        path: "metadata",
        file,
        message: `holds ${actual ? `${actual.kind} "${actual.name}"` : "no resource"}, not the one its file name says: apply the manifest again`,
      },
    ]);
  }
  warn(`${file} was changed after it was applied: it is validated on every use until applied again`);
  const appliedFrom = typeof record.applied_from === "string" ? record.applied_from : "<input>";
  const source = { file };
  return {
    id,
    file,
    appliedFrom,
    loaded: { document: loaded.document, source },
    ...(set.stores[0] ? { store: { ...set.stores[0], source } } : {}),
    ...(set.providers[0] ? { provider: { ...set.providers[0], source } } : {}),
  };
}

export function idOfDocument(doc: ManifestDocument): ResourceId {
  const m = doc.metadata ?? {};
  return {
    kind: String(doc.kind),
    name: String(m.name),
    ...(doc.kind === KINDS.store && typeof m.project === "string" && m.project ? { project: m.project } : {}),
  };
}

function digest(document: unknown, config: unknown): string {
  return checksum(JSON.stringify([document, config]));
}

function origin(source: { file?: string; line?: number; col?: number }): string {
  if (!source.file || source.file.startsWith("<")) return source.file ?? "<input>";
  return `${path.resolve(source.file)}${source.line ? `:${source.line}:${source.col ?? 1}` : ""}`;
}

/**
 * The parsed JSON of a regular file, or undefined when there is no file. Anything else at that path
 * (a directory, a link, a device) is not something apply wrote: an error naming it.
 */
function readJson(file: string): unknown {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if (code === "ELOOP") throw notARecord(file, "a symbolic link");
    throw ioError(`cannot read ${file}`, error);
  }
  let text: string;
  try {
    if (!fs.fstatSync(fd).isFile()) throw notARecord(file, "not a regular file");
    text = fs.readFileSync(fd, "utf8");
  } catch (error) {
    if (StoreError.isInstance(error)) throw error;
    throw ioError(`cannot read ${file}`, error);
  } finally {
    fs.closeSync(fd);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ManifestError([
      {
        path: "",
        file,
        message: `not JSON (${(error as Error).message}): not a resource saved by \`wfstore apply\`; apply the manifest again`,
      },
    ]);
  }
}

function notARecord(file: string, what: string): ManifestError {
  return new ManifestError([
    {
      path: "",
      file,
      message: `${what}, not a resource saved by \`wfstore apply\`: remove it and apply the manifest again`,
    },
  ]);
}

function writeAtomically(file: string, text: string, what: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (error) {
    fs.rmSync(tmp, { force: true });
    throw ioError(`${what} in ${file}`, error);
  }
}

function ioError(message: string, cause: unknown): StoreError {
  return new StoreError("BACKEND_IO", `${message}: ${(cause as Error).message}`, { cause });
}
