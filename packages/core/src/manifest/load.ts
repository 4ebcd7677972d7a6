import fs from "node:fs";
import path from "node:path";
import { ManifestError, type ManifestIssue, StoreError } from "../errors";
import { ResourceSet } from "../resources";
import { decodeUtf8 } from "../utf8";
import { objectDocuments, type ParsedDocument, parseYamlDocuments } from "./parse";
import { validateDocuments } from "./validate";

/** Manifests as YAML text (several documents allowed), plain objects, or paths to files/directories. */
export type ManifestInput =
  | { text: string; file?: string }
  | { objects: unknown[]; origin?: string }
  | { paths: string[] };

/**
 * Loads and validates manifests. Throws one ManifestError listing every issue of every input, each
 * with its field path and `file:line:col`. Warnings (deprecated spellings) are on `resources.warnings`.
 */
export function loadManifests(...inputs: ManifestInput[]): ResourceSet {
  const documents: ParsedDocument[] = [];
  const issues: ManifestIssue[] = [];
  const order: (string | undefined)[] = []; // input order of files, for sorting issues
  const add = (r: { documents: ParsedDocument[]; issues: ManifestIssue[] }) => {
    documents.push(...r.documents);
    issues.push(...r.issues);
  };
  for (const input of inputs) {
    if ("text" in input) {
      order.push(input.file);
      if (input.text.length > MAX_MANIFEST_BYTES) {
        issues.push({
          path: "",
          file: input.file ?? "<input>",
          message: `larger than ${MAX_MANIFEST_BYTES} bytes: not a manifest`,
        });
      } else add(parseYamlDocuments(input.text, input.file));
    } else if ("objects" in input) {
      add(objectDocuments(input.objects, input.origin));
    } else {
      for (const p of input.paths) {
        const files = manifestFiles([p], issues);
        order.push(...(files.length > 0 ? files : [p]));
        for (const file of files) add(parseYamlDocuments(readText(file, issues), file));
      }
    }
  }
  const result = validateDocuments(documents);
  issues.push(...result.issues);
  if (issues.length > 0) throw new ManifestError(sortIssues(issues, order));
  return result.resources;
}

/** Shorthand for YAML text. */
export function parseManifests(text: string, file?: string): ResourceSet {
  return loadManifests(file === undefined ? { text } : { text, file });
}

/** Files named directly, and the `*.yaml` / `*.yml` files of directories (not recursive), sorted. */
export function manifestFiles(paths: string[], issues: ManifestIssue[] = []): string[] {
  const files: string[] = [];
  for (const p of paths) {
    let stat: fs.BigIntStats;
    try {
      // bigint: a plain stat of a FIFO (`-f /dev/stdin`, `-f <(…)`) overwrites the stat buffer Node's
      // realpath cache reads, and plugins imported later resolved through pnpm symlinks and failed.
      stat = fs.statSync(p, { bigint: true });
    } catch (error) {
      issues.push({
        path: "",
        file: p,
        message: `cannot read: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : (error as Error).message}`,
      });
      continue;
    }
    if (stat.isDirectory()) {
      const found = fs
        .readdirSync(p)
        .filter((f) => /\.ya?ml$/i.test(f))
        .sort()
        .map((f) => path.join(p, f));
      if (found.length === 0)
        issues.push({ path: "", file: p, message: "no *.yaml or *.yml files in this directory" });
      files.push(...found);
    } else {
      files.push(p);
    }
  }
  return files;
}

/** The largest manifest file read; manifests are configuration, so anything bigger is a mistake. */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

/**
 * Reads at most MAX_MANIFEST_BYTES (an endless input such as /dev/zero must not exhaust memory) and
 * decodes strict UTF-8 (invalid bytes are an error naming their offset, never U+FFFD).
 */
function readText(file: string, issues: ManifestIssue[]): string {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, "r");
    const buffer = Buffer.allocUnsafe(MAX_MANIFEST_BYTES + 1);
    let length = 0;
    for (;;) {
      const n = fs.readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > MAX_MANIFEST_BYTES) {
        issues.push({ path: "", file, message: `larger than ${MAX_MANIFEST_BYTES} bytes: not a manifest` });
        return "";
      }
    }
    return decodeUtf8(buffer.subarray(0, length), "manifest", "INVALID_MANIFEST");
  } catch (error) {
    issues.push({
      path: "",
      file,
      message: StoreError.isInstance(error)
        ? error.message.replace(/^invalid manifest: /, "")
        : `cannot read: ${(error as Error).message}`,
    });
    return "";
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Layers resource sets: definitions in later sets replace those with the same kind, name (and
 * project) in earlier ones. The CLI uses it to put `-f` manifests over the applied ones.
 */
export function mergeResources(...sets: ResourceSet[]): ResourceSet {
  const stores = new Map<string, ResourceSet["stores"][number]>();
  const providers = new Map<string, ResourceSet["providers"][number]>();
  const documents = new Map<string, ResourceSet["documents"][number]>();
  for (const set of sets) {
    for (const s of set.stores) stores.set(`${s.name}\u0000${s.project ?? ""}`, s);
    for (const p of set.providers) providers.set(p.name, p);
    for (const d of set.documents) {
      const m = d.document.metadata ?? {};
      documents.set(`${String(d.document.kind)}\u0000${String(m.name)}\u0000${String(m.project ?? "")}`, d);
    }
  }
  return new ResourceSet({
    stores: [...stores.values()],
    providers: [...providers.values()],
    documents: [...documents.values()],
    others: sets.flatMap((s) => [...s.others]),
    warnings: sets.flatMap((s) => [...s.warnings]),
  });
}

/** Issues in the order of the input: files as first seen, then line and column. */
function sortIssues(issues: ManifestIssue[], order: (string | undefined)[]): ManifestIssue[] {
  const fileOrder = new Map<string | undefined, number>();
  for (const f of [...order, ...issues.map((i) => i.file)])
    if (!fileOrder.has(f)) fileOrder.set(f, fileOrder.size);
  return issues
    .map((issue, index) => ({ issue, index }))
    .sort(
      (a, b) =>
        fileOrder.get(a.issue.file)! - fileOrder.get(b.issue.file)! ||
        (a.issue.line ?? 0) - (b.issue.line ?? 0) ||
        (a.issue.col ?? 0) - (b.issue.col ?? 0) ||
        a.index - b.index,
    )
    .map((x) => x.issue);
}
