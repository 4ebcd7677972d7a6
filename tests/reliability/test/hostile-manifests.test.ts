import fs from "node:fs";
import path from "node:path";
import { loadManifests, type ManifestIssue, type StoreManager } from "@store/core";
import { afterAll, beforeAll, describe } from "vitest";
import { type HostileCase, hostileCases } from "./support/hostile";
import { snapshot } from "./support/intact";
import { managerOn } from "./support/stores";
import { makeTarget, type Target, tempDir } from "./support/targets";

/**
 * Issue 14, hostile manifests: each is refused with INVALID_MANIFEST, and the case also checks the
 * field path its first issue names (so the error says where), while a store that is in use keeps its
 * entries. The CLI's side (exit 2, resources applied before kept) is in hostile-cli.test.ts.
 */
const doc = (spec: string, kind = "WorkflowStore", name = "s") =>
  `apiVersion: wfstore.dev/v1\nkind: ${kind}\nmetadata:\n  name: ${name}\nspec:\n${spec}`;
const provider = (spec: string) => doc(spec, "StoreBackendProvider", "p");
const COMMANDS = "  commands: {get: a, put: a, delete: a, list: a}\n";
const nested = (levels: number) => {
  let schema: Record<string, unknown> = { type: "integer" };
  for (let i = 0; i < levels; i++) schema = { type: "array", items: schema };
  return schema;
};
const badUtf8File = path.join(tempDir("manifest"), "bad-utf8.yaml");
fs.writeFileSync(
  badUtf8File,
  Buffer.concat([
    Buffer.from(
      'apiVersion: wfstore.dev/v1\nkind: WorkflowStore\nmetadata: {name: s}\nspec: {description: "a',
    ),
    Buffer.from([0xff, 0xfe]),
    Buffer.from('"}\n'),
  ]),
);

/** Loads `input`; a refusal whose first issue names another field than `field` is a failure. */
function refused(field: string, ...input: Parameters<typeof loadManifests>) {
  return () => {
    try {
      loadManifests(...input);
    } catch (error) {
      const issues = (error as { issues?: ManifestIssue[] }).issues ?? [];
      if (issues[0]?.path !== field)
        throw new Error(`first issue at ${JSON.stringify(issues[0]?.path)}, not ${JSON.stringify(field)}`);
      throw error;
    }
  };
}
const text = (field: string, yaml: string) => refused(field, { text: yaml, file: "m.yaml" });
const object = (field: string, spec: Record<string, unknown>) =>
  refused(field, {
    objects: [{ apiVersion: "wfstore.dev/v1", kind: "WorkflowStore", metadata: { name: "s" }, spec }],
  });

const CASES: Array<[string, () => void]> = [
  ["an unknown field (retension)", text("spec.retension", doc("  retension: {}\n"))],
  [
    "a misspelled retention field",
    text("spec.retention.max_entrys", doc("  retention:\n    max_entrys: 3\n")),
  ],
  ["max_entries -1", text("spec.retention.max_entries", doc("  retention:\n    max_entries: -1\n"))],
  ["max_entries a word", text("spec.retention.max_entries", doc("  retention:\n    max_entries: ten\n"))],
  ["max_entries 1.5", text("spec.retention.max_entries", doc("  retention:\n    max_entries: 1.5\n"))],
  ["ttl_days -3", text("spec.retention.ttl_days", doc("  retention:\n    ttl_days: -3\n"))],
  ["retention null", text("spec.retention", doc("  retention: null\n"))],
  ["spec a list", text("spec", doc("  - a\n"))],
  ["a name with ../", text("metadata.name", doc("  provider: local\n", "WorkflowStore", '"../evil"'))],
  ["an empty name", text("metadata.name", doc("  provider: local\n", "WorkflowStore", '""'))],
  ["a 64-character name", text("metadata.name", doc("  provider: local\n", "WorkflowStore", "x".repeat(64)))],
  [
    "a project with ../",
    text(
      "metadata.project",
      "apiVersion: wfstore.dev/v1\nkind: WorkflowStore\nmetadata:\n  name: s\n  project: ../p\n",
    ),
  ],
  ["no metadata", text("", "apiVersion: wfstore.dev/v1\nkind: WorkflowStore\nspec: {}\n")],
  ["no apiVersion", text("", "kind: WorkflowStore\nmetadata: {name: s}\n")],
  ["an unknown apiVersion", text("apiVersion", "apiVersion: v0\nkind: WorkflowStore\nmetadata: {name: s}\n")],
  ["an empty provider name", text("spec.provider", doc('  provider: ""\n'))],
  [
    "provider and its old spelling backend",
    text("spec.backend", doc("  backend: local\n  provider: local\n")),
  ],
  ["a duplicate YAML key", text("", doc("  provider: local\n  provider: file\n"))],
  [
    "a duplicate resource",
    text("metadata.name", `${doc("  provider: local\n")}\n---\n${doc("  provider: local\n")}`),
  ],
  [
    "a tab as indentation",
    text("", "apiVersion: wfstore.dev/v1\nkind: WorkflowStore\nmetadata:\n\tname: s\n"),
  ],
  [
    "an unclosed flow mapping",
    text("", "apiVersion: wfstore.dev/v1\nkind: WorkflowStore\nmetadata: {name: s\n"),
  ],
  [
    "a billion-laughs alias bomb",
    text(
      "",
      `a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [${"*a,".repeat(9)}*a]\nc: &c [${"*b,".repeat(9)}*b]\nd: &d [${"*c,".repeat(9)}*c]\ne: &e [${"*d,".repeat(9)}*d]\nf: [${"*e,".repeat(9)}*e]\n`,
    ),
  ],
  [
    "a !!js/function tag (read as a string, never run)",
    text("spec.provider", doc("  provider: !!js/function 'function(){}'\n")),
  ],
  ["a bare string document", text("", "just a string\n")],
  ["a list document", text("", "- a\n- b\n")],
  ["YAML nested 1,000 levels", text("", `a: ${"[".repeat(1000)}${"]".repeat(1000)}\n`)],
  ["16 MiB + 1 byte of text", text("", "#".repeat(16 * 1024 * 1024 + 1))],
  ["a file with invalid UTF-8", refused("", { paths: [badUtf8File] })],
  ["a file that does not exist", refused("", { paths: ["/no/such/manifest.yaml"] })],
  ["a schema type that does not exist", text("spec.schema.type", doc("  schema:\n    type: integr\n"))],
  [
    "a schema with a remote $ref (never fetched)",
    text("spec.schema", doc('  schema:\n    $ref: "https://example.com/s.json"\n')),
  ],
  [
    "a schema with an unknown format",
    text("spec.schema.format", doc("  schema:\n    type: string\n    format: no-such-format\n")),
  ],
  [
    "a schema pattern with lookahead",
    text("spec.schema", doc('  schema:\n    type: string\n    pattern: "^(?=a)a$"\n')),
  ],
  [
    "a schema pattern with a backreference",
    text("spec.schema", doc('  schema:\n    type: string\n    pattern: "^(a)\\\\1$"\n')),
  ],
  [
    "a schema pattern that does not parse",
    text("spec.schema", doc('  schema:\n    type: string\n    pattern: "(("\n')),
  ],
  ["a schema that is a number", text("spec.schema", doc("  schema: 5\n"))],
  [
    "a schema enum of 200,001 values",
    text(
      "spec.schema",
      doc(`  schema:\n    enum: [${Array.from({ length: 200_001 }, (_, i) => i).join(",")}]\n`),
    ),
  ],
  ["a schema nested 70 levels", object(`spec.schema${".items".repeat(64)}`, { schema: nested(70) })],
  ["a schema nested 3,000 levels", object(`spec.schema${".items".repeat(64)}`, { schema: nested(3000) })],
  ["a provider with commands and process", text("spec", provider(`${COMMANDS}  process: node x\n`))],
  ["a provider with neither commands nor process", text("spec", provider("  timeout_seconds: 5\n"))],
  [
    "a provider without a get command",
    text("spec.commands", provider("  commands: {put: a, delete: a, list: a}\n")),
  ],
  [
    "a provider with an empty argv",
    text("spec.commands.get", provider("  commands: {get: [], put: a, delete: a, list: a}\n")),
  ],
  ["timeout_seconds -1", text("spec.timeout_seconds", provider(`${COMMANDS}  timeout_seconds: -1\n`))],
  [
    "timeout_seconds as a string",
    text("spec.timeout_seconds", provider(`${COMMANDS}  timeout_seconds: "30"\n`)),
  ],
  ["env holding a number", text("spec.env[0]", provider(`${COMMANDS}  env: [1]\n`))],
  ["an empty plugin name", text("spec.plugin", provider('  plugin: ""\n'))],
  ["plugin options that are a number", text("spec.options", provider('  plugin: "@x/y"\n  options: 5\n'))],
  ["base_path going up", text("spec.base_path", doc("  provider: file\n  base_path: ../outside\n"))],
  ["base_path absolute", text("spec.base_path", doc("  provider: file\n  base_path: /etc\n"))],
  [
    "base_path going up in the middle",
    text("spec.base_path", doc("  provider: file\n  base_path: a/../../b\n")),
  ],
];

export const MANIFEST_CASES: HostileCase<void>[] = CASES.map(([name, run]) => ({
  name: `manifest: ${name}`,
  code: "INVALID_MANIFEST",
  run,
}));

describe("hostile manifests", () => {
  let target: Target;
  let manager: StoreManager;
  beforeAll(async () => {
    target = makeTarget("file");
    manager = managerOn(target);
    for (const key of ["a", "b"]) await manager.store("in-use").put(key, { key });
  });
  afterAll(async () => {
    await manager.close();
    await target.cleanup();
    fs.rmSync(path.dirname(badUtf8File), { recursive: true, force: true });
  });
  hostileCases(
    MANIFEST_CASES,
    () => undefined,
    () => snapshot(manager, [{ store: "in-use" }]),
  );
});
