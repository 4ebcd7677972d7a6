import path from "node:path";
import {
  closestName,
  KINDS,
  type LoadedDocument,
  mergeResources,
  printable,
  type ResourceSet,
  type StoreBackendProviderConfig,
  StoreError,
  type WorkflowStoreConfig,
} from "@store/core";
import { displayId, isResourceName, resourcesDir } from "../applied/layout";
import { resourceSetOf } from "../applied/load";
import { type AppliedResource, idOfDocument, removeRecord, saveRecord } from "../applied/records";
import type { Context } from "../context";
import { CliError } from "../errors";
import { plural, quoted, table } from "../format";
import { redactCredentials } from "../redact";

/** Kind names accepted on the command line, kubectl style: singular, plural, short. */
const KIND_ALIASES: Record<string, string> = {
  workflowstores: KINDS.store,
  workflowstore: KINDS.store,
  ws: KINDS.store,
  storebackendproviders: KINDS.provider,
  storebackendprovider: KINDS.provider,
  sbp: KINDS.provider,
};

export function parseKind(text: string): string {
  const kind = KIND_ALIASES[text.toLowerCase()];
  if (kind) return kind;
  const suggestion = closestName(text, Object.keys(KIND_ALIASES));
  throw new CliError(
    "USAGE",
    `unknown resource type "${text}": use workflowstores (ws) or storebackendproviders (sbp)${suggestion ? ` (did you mean ${suggestion}?)` : ""}`,
  );
}

/** `wfstore apply -f FILE|DIR`: validate, then save each resource in the data directory. */
export function apply(ctx: Context): void {
  requireManifests(ctx, "apply");
  const incoming = checkIncoming(ctx);
  const results = incoming.documents.map((d) => saveRecord(ctx.dataDir, d, configOf(incoming, d)));
  if (ctx.json) {
    const out = results.map((r) => ({
      kind: r.id.kind,
      name: r.id.name,
      project: r.id.project ?? null,
      action: r.action,
      file: r.file,
    }));
    ctx.io.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  for (const r of results) ctx.io.stdout.write(`${displayId(r.id)} ${r.action}\n`);
  if (results.length === 0)
    ctx.io.stdout.write("nothing to apply: no WorkflowStore or StoreBackendProvider documents\n");
}

/** `wfstore validate -f FILE|DIR`: the same checks as apply; saves nothing. */
export function validate(ctx: Context): void {
  requireManifests(ctx, "validate");
  const incoming = checkIncoming(ctx);
  const resources = incoming.documents.map((d) => ({ ...idOfDocument(d.document), source: d.source }));
  if (ctx.json) {
    ctx.io.stdout.write(
      `${JSON.stringify({
        valid: true,
        resources: resources.map((r) => ({
          kind: r.kind,
          name: r.name,
          project: r.project ?? null,
          source: where(ctx, r.source),
        })),
        warnings: incoming.warnings.length,
      })}\n`,
    );
    return;
  }
  const stores = resources.filter((r) => r.kind === KINDS.store).length;
  const providers = resources.length - stores;
  ctx.io.stdout.write(
    `valid: ${plural(stores, "WorkflowStore")}, ${plural(providers, "StoreBackendProvider")}${incoming.warnings.length ? ` (${plural(incoming.warnings.length, "warning")})` : ""}\n`,
  );
}

/** `wfstore get workflowstores [NAME]` / `get storebackendproviders [NAME]`. */
export async function get(ctx: Context, kindText: string, name?: string): Promise<void> {
  const kind = parseKind(kindText);
  const applied = ctx.loadApplied();
  const set = resourceSetOf(applied);
  const view: View = {
    ctx,
    resources: ctx.manifestPaths.length === 0 ? set : mergeResources(set, ctx.loadFlagManifests()),
    appliedFrom: new Map(applied.map((r) => [r.file, r.appliedFrom])),
  };
  if (kind === KINDS.store) await getStores(view, name);
  else await getProviders(view, name);
}

/** What `get` shows from: the resources, and for applied ones the manifest they were applied from. */
interface View {
  ctx: Context;
  resources: ResourceSet;
  appliedFrom: Map<string, string>;
}

/** `wfstore delete workflowstore NAME`: removes the applied definition; its entries stay. */
export function remove(ctx: Context, kindText: string, name: string): void {
  const kind = parseKind(kindText);
  const id = { kind, name, ...(kind === KINDS.store && ctx.project ? { project: ctx.project } : {}) };
  for (const [what, value] of [
    ["name", name],
    ["project id", ctx.project],
  ] as const) {
    if (value !== "" && !isResourceName(value)) {
      throw new StoreError(
        "INVALID_ARGUMENT",
        `invalid ${what} ${quoted(value)}: use 1-63 characters of [A-Za-z0-9._-], starting with a letter or digit, without ".."`,
        { details: { field: what } },
      );
    }
  }
  if (!removeRecord(ctx.dataDir, id)) {
    throw new CliError(
      "NOT_FOUND",
      `${displayId(id)} is not applied in ${resourcesDir(ctx.dataDir)} (see \`wfstore get ${kind === KINDS.store ? "workflowstores" : "storebackendproviders"}\`)`,
    );
  }
  if (ctx.json) {
    ctx.io.stdout.write(
      `${JSON.stringify({ kind, name, project: id.project ?? null, action: "deleted" })}\n`,
    );
    return;
  }
  ctx.io.stdout.write(`${displayId(id)} deleted${kind === KINDS.store ? " (its entries are kept)" : ""}\n`);
}

// ── stores ───────────────────────────────────────────────────────────────────────────────────────

async function getStores(view: View, name?: string): Promise<void> {
  const { ctx, resources } = view;
  if (name !== undefined) {
    const config = resources.findStore(name, ctx.project);
    if (ctx.json) {
      ctx.io.stdout.write(`${JSON.stringify(config ? storeJson(ctx, config) : defaultStoreJson(name))}\n`);
      return;
    }
    const YAML = await loadYaml();
    if (!config) {
      ctx.io.stdout.write(
        `# workflowstore "${name}" is not declared: it is auto-provisioned with these defaults\n${YAML.stringify(
          {
            apiVersion: "wfstore.dev/v1",
            kind: KINDS.store,
            metadata: { name },
            spec: { provider: "local" },
          },
        )}`,
      );
      return;
    }
    const doc = findDocument(resources, KINDS.store, config.name, config.project);
    ctx.io.stdout.write(documentYaml(view, YAML, doc, config.source));
    return;
  }
  const stores = [...resources.stores].sort(
    (a, b) => a.name.localeCompare(b.name) || (a.project ?? "").localeCompare(b.project ?? ""),
  );
  if (ctx.json) {
    ctx.io.stdout.write(`${JSON.stringify(stores.map((s) => storeJson(ctx, s)))}\n`);
    return;
  }
  if (stores.length === 0) {
    ctx.io.stdout.write(
      "No workflowstores declared (undeclared stores are auto-provisioned on the local provider).\n",
    );
    return;
  }
  ctx.io.stdout.write(
    table(
      stores,
      [
        { header: "NAME", value: (s) => s.name },
        { header: "PROJECT", value: (s) => s.project ?? "*" },
        { header: "PROVIDER", value: (s) => s.provider },
        { header: "SCHEMA", value: (s) => (s.schema === undefined ? "-" : "yes") },
        {
          header: "MAX_ENTRIES",
          value: (s) => (s.retention.maxEntries === undefined ? "-" : String(s.retention.maxEntries)),
        },
        { header: "TTL_DAYS", value: (s) => (s.retention.ttlDays ? String(s.retention.ttlDays) : "-") },
        { header: "SOURCE", value: (s) => origin(ctx, s.source) },
      ],
      width(ctx),
    ),
  );
}

function storeJson(ctx: Context, s: WorkflowStoreConfig) {
  return {
    name: s.name,
    project: s.project ?? null,
    provider: s.provider,
    base_path: s.basePath ?? null,
    schema: s.schema ?? null,
    retention: { max_entries: s.retention.maxEntries ?? null, ttl_days: s.retention.ttlDays ?? null },
    description: s.description ?? null,
    declared: true,
    source: where(ctx, s.source),
  };
}

function defaultStoreJson(name: string) {
  return {
    name,
    project: null,
    provider: "local",
    base_path: null,
    schema: null,
    retention: { max_entries: null, ttl_days: null },
    description: null,
    declared: false,
    source: null,
  };
}

// ── providers ────────────────────────────────────────────────────────────────────────────────────

interface ProviderRow {
  name: string;
  type: string;
  detail: string;
  config?: StoreBackendProviderConfig;
}

const BUILTIN_ROWS: ProviderRow[] = [
  { name: "local", type: "builtin", detail: "SQLite file in the data directory (the default)" },
  { name: "file", type: "builtin", detail: "JSON files in the data directory" },
];

function providerRow(p: StoreBackendProviderConfig): ProviderRow {
  const spec = p.spec as Record<string, unknown>;
  const detail =
    p.mode === "plugin"
      ? `package ${p.plugin}`
      : p.mode === "process"
        ? `process ${commandText(spec.process)}`
        : `commands: ${Object.keys((spec.commands as object) ?? {}).join(", ")}`;
  return { name: p.name, type: p.mode, detail, config: p };
}

async function getProviders(view: View, name?: string): Promise<void> {
  const { ctx, resources } = view;
  const declared = resources.providers.map(providerRow);
  const rows = [...BUILTIN_ROWS.filter((b) => !declared.some((d) => d.name === b.name)), ...declared];
  if (name !== undefined) {
    const row = rows.find((r) => r.name === name);
    if (!row) {
      throw new StoreError(
        "PROVIDER_NOT_FOUND",
        `storebackendprovider "${name}" is not declared (declared: ${rows.map((r) => r.name).join(", ")})`,
        { details: { provider: name } },
      );
    }
    if (ctx.json) {
      ctx.io.stdout.write(`${JSON.stringify(providerJson(ctx, row))}\n`);
      return;
    }
    if (!row.config) {
      ctx.io.stdout.write(`# "${name}" is a builtin provider: ${row.detail}; it needs no manifest\n`);
      return;
    }
    const doc = findDocument(resources, KINDS.provider, name);
    ctx.io.stdout.write(documentYaml(view, await loadYaml(), doc, row.config.source));
    return;
  }
  if (ctx.json) {
    ctx.io.stdout.write(`${JSON.stringify(rows.map((r) => providerJson(ctx, r)))}\n`);
    return;
  }
  ctx.io.stdout.write(
    table(
      rows,
      [
        { header: "NAME", value: (r) => r.name },
        { header: "TYPE", value: (r) => r.type },
        { header: "SOURCE", value: (r) => (r.config ? origin(ctx, r.config.source) : "builtin"), max: 40 },
        { header: "DETAIL", value: (r) => r.detail },
      ],
      width(ctx),
    ),
  );
}

function providerJson(ctx: Context, row: ProviderRow) {
  return {
    name: row.name,
    type: row.type,
    plugin: row.config?.plugin ?? null,
    spec: row.config ? redactCredentials(row.config.spec) : null,
    base_dir: row.config?.baseDir ?? null,
    declared: row.config !== undefined,
    source: row.config ? where(ctx, row.config.source) : null,
  };
}

// ── helpers ──────────────────────────────────────────────────────────────────────────────────────

function requireManifests(ctx: Context, command: string): void {
  if (ctx.manifestPaths.length === 0) {
    throw new CliError(
      "USAGE",
      `${command} needs manifests: wfstore ${command} -f FILE|DIR (see \`wfstore ${command} --help\`)`,
    );
  }
}

/** Documents of other kinds (an orchestrator's Workflow, Agent…) are kept and ignored: say so. */
function reportOthers(ctx: Context, incoming: ResourceSet): void {
  for (const o of incoming.others) {
    const name = (o.document.metadata as { name?: unknown } | undefined)?.name;
    ctx.io.stderr.write(
      `wfstore: note: ${where(ctx, o.source)}: ignoring ${printable(String(o.document.kind))}${name ? ` "${printable(String(name))}"` : ""} (not a wfstore kind)\n`,
    );
  }
}

/**
 * The -f manifests, validated, with their warnings printed. A store naming a provider that neither
 * they nor the applied resources declare would fail at first use: warn now. (A broken applied set does
 * not stop apply: applying a fixed manifest is how it gets repaired.)
 */
function checkIncoming(ctx: Context): ResourceSet {
  const incoming = ctx.loadFlagManifests();
  ctx.printWarnings(incoming.warnings);
  reportOthers(ctx, incoming);
  let applied: AppliedResource[] = [];
  try {
    applied = ctx.loadApplied();
  } catch {
    // only used for the check below
  }
  const all = mergeResources(resourceSetOf(applied), incoming);
  for (const s of incoming.stores) {
    if (s.provider === "local" || s.provider === "file" || all.findProvider(s.provider)) continue;
    ctx.warn(
      `${where(ctx, s.source)}: workflowstore "${s.name}" uses provider "${s.provider}", which is not declared (apply a StoreBackendProvider named "${s.provider}")`,
    );
  }
  return incoming;
}

/** The validated configuration core made of a document, to save beside it. */
function configOf(set: ResourceSet, doc: LoadedDocument): WorkflowStoreConfig | StoreBackendProviderConfig {
  const id = idOfDocument(doc.document);
  const config =
    id.kind === KINDS.store
      ? set.stores.find((s) => s.name === id.name && (s.project ?? undefined) === id.project)
      : set.providers.find((p) => p.name === id.name);
  if (!config) throw new Error(`no configuration for ${displayId(id)}`);
  return config;
}

function findDocument(
  resources: ResourceSet,
  kind: string,
  name: string,
  project?: string,
): LoadedDocument | undefined {
  return resources.documents.find((d) => {
    const id = idOfDocument(d.document);
    return id.kind === kind && id.name === name && (id.project ?? "") === (project ?? "");
  });
}

type Yaml = typeof import("yaml");

/** The YAML printer, loaded only by the commands that print YAML. */
async function loadYaml(): Promise<Yaml> {
  const mod = (await import("yaml")) as Yaml & { default?: Yaml };
  return mod.default ?? mod;
}

function documentYaml(
  view: View,
  YAML: Yaml,
  doc: LoadedDocument | undefined,
  source: { file?: string } | undefined,
): string {
  if (!doc) return "";
  const appliedFrom = source?.file ? view.appliedFrom.get(source.file) : undefined;
  const header = appliedFrom
    ? `# applied from ${appliedFrom}, saved in ${where(view.ctx, source)}`
    : `# from ${where(view.ctx, source)}`;
  return `${header}\n${YAML.stringify(redactCredentials(doc.document), { lineWidth: 0 })}`;
}

/** `file:line:col` of a resource, relative to the working directory when inside it. */
function where(ctx: Context, source: { file?: string; line?: number; col?: number } | undefined): string {
  if (!source?.file) return "<input>";
  const file = ctx.displayPath(path.resolve(ctx.io.cwd, source.file));
  return `${file}${source.line ? `:${source.line}:${source.col ?? 1}` : ""}`;
}

/** "applied" for resources saved in the data directory, else the -f file they came from. */
function origin(ctx: Context, source: { file?: string } | undefined): string {
  if (!source?.file) return "<input>";
  const abs = path.resolve(ctx.io.cwd, source.file);
  return abs.startsWith(resourcesDir(ctx.dataDir) + path.sep) ? "applied" : ctx.displayPath(abs);
}

function commandText(value: unknown): string {
  return Array.isArray(value) ? value.join(" ") : String(value);
}

function width(ctx: Context): number {
  return ctx.io.stdout.isTTY ? ctx.io.stdout.columns || 100 : 160;
}
