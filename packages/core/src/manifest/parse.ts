import type { Document, Node } from "yaml";
import type { ManifestIssue } from "../errors";
import type { ManifestDocument, SourceLocation } from "../resources";
import { lazyRequire } from "../schema/lazy-require";

/** A document with a way back to positions in its text, so errors can say `file:line:col`. */
export interface ParsedDocument {
  document: ManifestDocument;
  source: SourceLocation;
  /** Position of a field path inside this document (of the key itself when `atKey`). */
  locate(path: (string | number)[], atKey?: boolean): SourceLocation;
}

/**
 * Splits YAML text into documents. YAML errors (syntax, duplicate keys, alias bombs) become issues with
 * positions; empty documents (a trailing `---`) are skipped.
 */
export function parseYamlDocuments(
  text: string,
  file?: string,
): { documents: ParsedDocument[]; issues: ManifestIssue[] } {
  // Loaded on first use: a command with no manifest to read never loads the YAML parser.
  const yaml = lazyRequire("yaml") as typeof import("yaml");
  const lineCounter = new yaml.LineCounter();
  const docs = yaml.parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const issues: ManifestIssue[] = [];
  const documents: ParsedDocument[] = [];
  const at = (offset: number | undefined): SourceLocation => {
    if (offset === undefined) return { file };
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };
  for (const doc of Array.isArray(docs) ? docs : []) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        issues.push({
          path: "",
          message: yamlMessage(e.code, e.message, /^[^:\n]*/.exec(text.slice(e.pos[0]))?.[0] ?? ""),
          ...at(e.pos[0]),
        });
      }
      continue;
    }
    if (doc.contents === null) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      issues.push({
        path: "",
        message: `cannot read document: ${(error as Error).message}`,
        ...at(doc.contents.range?.[0]),
      });
      continue;
    }
    const source = at(doc.contents.range?.[0]);
    if (value === null || value === undefined) continue; // an empty document, e.g. after a trailing `---`
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      issues.push({
        path: "",
        message: "a manifest document must be a mapping with apiVersion, kind, metadata and spec",
        ...source,
      });
      continue;
    }
    documents.push({
      document: value as ManifestDocument,
      source,
      locate: (path, atKey = false) => at(locate(yaml, doc, path, atKey)),
    });
  }
  return { documents, issues };
}

/** Wraps plain objects (no text, so no positions) in the same shape; `origin` names them in errors. */
export function objectDocuments(
  objects: unknown[],
  origin = "<object>",
): { documents: ParsedDocument[]; issues: ManifestIssue[] } {
  const documents: ParsedDocument[] = [];
  const issues: ManifestIssue[] = [];
  objects.forEach((value, i) => {
    const source = { file: objects.length > 1 ? `${origin}#${i + 1}` : origin };
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      issues.push({
        path: "",
        message: "a manifest must be an object with apiVersion, kind, metadata and spec",
        ...source,
      });
      return;
    }
    documents.push({ document: value as ManifestDocument, source, locate: () => source });
  });
  return { documents, issues };
}

function yamlMessage(code: string, message: string, culprit: string): string {
  if (/call stack/i.test(message)) return "nested too deeply to read (hundreds of levels)";
  if (code === "DUPLICATE_KEY")
    return `duplicate key "${culprit.trim()}": a key may appear only once in a mapping`;
  return `YAML syntax: ${message.split("\n")[0] ?? message}`;
}

/** The offset of a field path in a document: its value node, or its key node when `atKey`. */
function locate(
  { isMap, isScalar, isSeq }: typeof import("yaml"),
  doc: Document,
  path: (string | number)[],
  atKey: boolean,
): number | undefined {
  let node = doc.contents as Node | null;
  let offset = node?.range?.[0];
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const keyOffset = (pair.key as Node).range?.[0];
      if (atKey && i === path.length - 1) return keyOffset;
      node = pair.value as Node | null;
      offset = node?.range?.[0] ?? keyOffset;
    } else if (isSeq(node) && typeof seg === "number") {
      node = node.items[seg] as Node | null;
      if (!node) break;
      offset = node.range?.[0] ?? offset;
    } else {
      break;
    }
  }
  return offset;
}
