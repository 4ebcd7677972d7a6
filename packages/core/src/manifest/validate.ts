import path from "node:path";
import type { ErrorObject } from "ajv";
import type { ManifestIssue } from "../errors";
import {
  type LoadedDocument,
  ResourceSet,
  type StoreBackendProviderConfig,
  type WorkflowStoreConfig,
} from "../resources";
import { collapseAnyOf } from "../schema/errors";
import { SchemaValidators } from "../schema/validators";
import { closestName } from "../text";
import { manifestValidators as compiledValidators } from "./compiled-validators";
import type { ParsedDocument } from "./parse";

/** The apiVersions both kinds load under: the seed's group and this project's own. */
export const API_VERSIONS = ["orchestrator.dev/v2", "wfstore.dev/v1"] as const;
export const KINDS = { store: "WorkflowStore", provider: "StoreBackendProvider" } as const;
/** Annotation recording where relative paths of a provider resolve (kept when `apply` copies it). */
export const BASE_DIR_ANNOTATION = "wfstore.dev/base-dir";

/** A manifest validator generated at development time (scripts/compile-manifest-validators.mjs). */
type CompiledValidator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

function manifestValidators(): { store: CompiledValidator; provider: CompiledValidator } {
  const { validateStore, validateProvider } = compiledValidators() as Record<string, CompiledValidator>;
  return { store: validateStore as CompiledValidator, provider: validateProvider as CompiledValidator };
}

export interface ValidationResult {
  resources: ResourceSet;
  issues: ManifestIssue[];
  warnings: ManifestIssue[];
}

/**
 * Validates every document and builds the resource set. Never stops at the first problem: the caller
 * gets every issue of the input in one run.
 */
export function validateDocuments(
  parsed: ParsedDocument[],
  schemas = new SchemaValidators(),
): ValidationResult {
  const issues: ManifestIssue[] = [];
  const warnings: ManifestIssue[] = [];
  const stores: WorkflowStoreConfig[] = [];
  const providers: StoreBackendProviderConfig[] = [];
  const others: LoadedDocument[] = [];
  const documents: LoadedDocument[] = [];
  const seen = new Map<string, ParsedDocument>();

  for (const p of parsed) {
    // `spec:` with nothing after it is null in YAML; read it as an absent spec, as kubectl does.
    const doc = p.document.spec === null ? { ...p.document, spec: undefined } : p.document;
    const issue = (fieldPath: (string | number)[], message: string, atKey = false): ManifestIssue => ({
      path: fieldPath.join(".").replace(/\.(\d+)(?=\.|$)/g, "[$1]"),
      message,
      ...p.locate(fieldPath, atKey),
    });
    if (doc.kind !== KINDS.store && doc.kind !== KINDS.provider) {
      if (typeof doc.kind !== "string" || doc.kind === "") {
        issues.push(
          issue(["kind"], "missing kind: every document needs apiVersion, kind, metadata and spec"),
        );
      } else {
        others.push({ document: doc, source: p.source }); // an orchestrator's own kinds: kept, ignored
      }
      continue;
    }
    const isStore = doc.kind === KINDS.store;
    const validate = isStore ? manifestValidators().store : manifestValidators().provider;
    const before = issues.length;
    if (!validate(doc)) issues.push(...schemaIssues(validate.errors ?? [], issue));

    // Semantic checks that a JSON Schema cannot say clearly.
    const spec = (typeof doc.spec === "object" && doc.spec !== null ? doc.spec : {}) as Record<
      string,
      unknown
    >;
    if (isStore) {
      if (spec.backend !== undefined && spec.provider !== undefined) {
        issues.push(issue(["spec", "backend"], "set provider only: backend is its older spelling", true));
      } else if (spec.backend !== undefined) {
        warnings.push(
          issue(
            ["spec", "backend"],
            `"backend" is deprecated: write "provider: ${String(spec.backend)}"`,
            true,
          ),
        );
      }
      if (typeof spec.base_path === "string") {
        const problem = basePathProblem(spec.base_path);
        if (problem) issues.push(issue(["spec", "base_path"], problem));
      }
      if (
        spec.schema !== undefined &&
        (typeof spec.schema === "object" || typeof spec.schema === "boolean")
      ) {
        for (const s of schemas.check(spec.schema)) {
          const at = issue(
            ["spec", "schema", ...pointerSegments(s.pointer)],
            `invalid JSON Schema: ${s.message}`,
          );
          issues.push({ ...at, path: ["spec.schema", s.path].filter(Boolean).join(".") });
        }
      }
    } else {
      const modes = (["commands", "process", "plugin"] as const).filter((m) => spec[m] !== undefined);
      if (modes.length !== 1 && typeof doc.spec === "object") {
        issues.push(
          issue(
            ["spec"],
            modes.length === 0
              ? "set one of commands, process or plugin"
              : `set only one of commands, process and plugin (found ${modes.join(", ")})`,
          ),
        );
      }
      if (spec.options !== undefined && spec.plugin === undefined) {
        issues.push(issue(["spec", "options"], "options are for plugin providers only", true));
      }
    }
    if (issues.length > before) continue;

    const metadata = doc.metadata as { name: string; project?: string; annotations?: Record<string, string> };
    const id = `${doc.kind}/${metadata.name}${isStore && metadata.project ? ` (project ${metadata.project})` : ""}`;
    const first = seen.get(id);
    if (first) {
      const f = first.source;
      issues.push(
        issue(
          ["metadata", "name"],
          `duplicate ${id}: first declared at ${f.file ?? "<input>"}${f.line ? `:${f.line}:${f.col}` : ""}`,
        ),
      );
      continue;
    }
    seen.set(id, p);
    documents.push({ document: doc, source: p.source });
    if (isStore) {
      const retention = (spec.retention ?? {}) as { max_entries?: number; ttl_days?: number };
      stores.push({
        name: metadata.name,
        ...(metadata.project ? { project: metadata.project } : {}),
        provider: (spec.provider ?? spec.backend ?? "local") as string,
        ...(spec.base_path === undefined ? {} : { basePath: path.posix.normalize(spec.base_path as string) }),
        ...(spec.schema === undefined ? {} : { schema: spec.schema as Record<string, unknown> | boolean }),
        retention: {
          ...(retention.max_entries === undefined ? {} : { maxEntries: retention.max_entries }),
          ...(retention.ttl_days ? { ttlDays: retention.ttl_days } : {}),
        },
        ...(typeof spec.description === "string" ? { description: spec.description } : {}),
        source: p.source,
      });
    } else {
      const baseDir =
        metadata.annotations?.[BASE_DIR_ANNOTATION] ??
        (p.source.file && !p.source.file.startsWith("<")
          ? path.dirname(path.resolve(p.source.file))
          : undefined);
      providers.push({
        name: metadata.name,
        mode: spec.commands !== undefined ? "commands" : spec.process !== undefined ? "process" : "plugin",
        ...(typeof spec.plugin === "string" ? { plugin: spec.plugin } : {}),
        spec,
        ...(baseDir ? { baseDir } : {}),
        source: p.source,
      });
    }
  }
  return { resources: new ResourceSet({ stores, providers, others, documents, warnings }), issues, warnings };
}

function basePathProblem(p: string): string | undefined {
  if (p.includes("\0")) return "must not contain NUL";
  if (p.includes("\\")) return "use forward slashes";
  if (path.posix.isAbsolute(p) || /^[A-Za-z]:/.test(p)) return "must be relative to the data directory";
  if (p.split("/").includes("..")) return 'must stay inside the data directory (no ".." segments)';
  return undefined;
}

type IssueAt = (fieldPath: (string | number)[], message: string, atKey?: boolean) => ManifestIssue;

/** Turns ajv's errors into one readable issue per problem, with "did you mean" for misspelt fields. */
function schemaIssues(errors: ErrorObject[], issue: IssueAt): ManifestIssue[] {
  const out: ManifestIssue[] = [];
  for (const e of collapseAnyOf(errors)) {
    const at = pointerSegments(e.instancePath);
    const p = e.params as Record<string, unknown>;
    const parent = e.parentSchema as
      | { "x-message"?: string; properties?: Record<string, unknown> }
      | undefined;
    switch (e.keyword) {
      case "additionalProperties": {
        const field = String(p.additionalProperty);
        const guess = closestName(field, Object.keys(parent?.properties ?? {}));
        out.push(
          issue(
            [...at, field],
            `unknown field "${field}"${guess ? ` (did you mean "${guess}"?)` : ""}`,
            true,
          ),
        );
        break;
      }
      case "required":
        out.push(issue(at, `missing required field "${String(p.missingProperty)}"`));
        break;
      case "type":
        out.push(issue(at, `expected ${String(p.type).replace(",", " or ")}, got ${describeValue(e.data)}`));
        break;
      case "enum":
        out.push(
          issue(
            at,
            `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}, got ${describeValue(e.data)}`,
          ),
        );
        break;
      case "const":
        out.push(issue(at, `must be ${JSON.stringify(p.allowedValue)}, got ${describeValue(e.data)}`));
        break;
      default:
        out.push(
          issue(
            at,
            parent?.["x-message"]
              ? `${parent["x-message"]}, got ${describeValue(e.data)}`
              : `${e.message ?? e.keyword}, got ${describeValue(e.data)}`,
          ),
        );
    }
  }
  return out;
}

function pointerSegments(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "a mapping";
  const text = JSON.stringify(value);
  return `${typeof value} ${text.length > 60 ? `${text.slice(0, 60)}…` : text}`;
}
