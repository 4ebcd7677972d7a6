import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  formatIssue,
  loadManifests,
  type ManifestError,
  mergeResources,
  parseManifests,
  StoreError,
} from "../src/index";

/** Every issue of an input, formatted exactly as users see them. */
function issues(yaml: string, file = "stores.yaml"): string[] {
  try {
    parseManifests(yaml, file);
  } catch (error) {
    expect(StoreError.isInstance(error, "INVALID_MANIFEST")).toBe(true);
    return (error as ManifestError).issues.map(formatIssue);
  }
  throw new Error("expected the manifest to be rejected");
}

const store = (spec: string, metadata = "  name: metrics") =>
  `apiVersion: orchestrator.dev/v2\nkind: WorkflowStore\nmetadata:\n${metadata}\nspec:\n${spec}\n`;
const provider = (spec: string) =>
  `apiVersion: orchestrator.dev/v2\nkind: StoreBackendProvider\nmetadata:\n  name: kv\nspec:\n${spec}\n`;

describe("valid manifests", () => {
  it("loads the seed-style bundle of the brief, with other kinds kept and ignored", () => {
    const r = parseManifests(
      `
apiVersion: orchestrator.dev/v2
kind: WorkflowStore
metadata:
  name: metrics
  project: my-project
spec:
  provider: local
  schema:
    type: object
    required: [test_count]
    properties:
      test_count: { type: integer, minimum: 0 }
  retention:
    max_entries: 200
    ttl_days: 90
---
apiVersion: orchestrator.dev/v2
kind: StoreBackendProvider
metadata:
  name: kv-script
spec:
  commands:
    get: ./kv.sh get
    put: ./kv.sh put
    delete: ./kv.sh delete
    list: ./kv.sh list
    prune: [./kv.sh, prune]
  timeout_seconds: 30
---
apiVersion: orchestrator.dev/v2
kind: Workflow
metadata: { name: nightly }
spec: { steps: [a, b] }
---
`,
      "/abs/bundle.yaml",
    );
    expect(r.stores).toEqual([
      {
        name: "metrics",
        project: "my-project",
        provider: "local",
        schema: {
          type: "object",
          required: ["test_count"],
          properties: { test_count: { type: "integer", minimum: 0 } },
        },
        retention: { maxEntries: 200, ttlDays: 90 },
        source: { file: "/abs/bundle.yaml", line: 2, col: 1 },
      },
    ]);
    expect(r.providers).toHaveLength(1);
    expect(r.providers[0]).toMatchObject({
      name: "kv-script",
      mode: "commands",
      baseDir: "/abs",
      spec: { timeout_seconds: 30 },
    });
    expect(r.others.map((o) => o.document.kind)).toEqual(["Workflow"]);
    expect(r.warnings).toEqual([]);
  });

  it("accepts the project's own apiVersion, plain objects, and the old `backend:` with a warning", () => {
    const r = loadManifests({
      objects: [
        {
          apiVersion: "wfstore.dev/v1",
          kind: "WorkflowStore",
          metadata: { name: "notes" },
          spec: { backend: "file" },
        },
      ],
    });
    expect(r.stores[0]).toMatchObject({ name: "notes", provider: "file", retention: {} });
    expect(r.warnings.map(formatIssue)).toEqual([
      '<object>: spec.backend: "backend" is deprecated: write "provider: file"',
    ]);
  });

  it("a store without spec is a local store with no schema or retention; ttl_days 0 means forever", () => {
    const r = parseManifests(
      `${store("  retention: { ttl_days: 0 }")}---\napiVersion: wfstore.dev/v1\nkind: WorkflowStore\nmetadata: { name: bare }\n`,
    );
    expect(r.findStore("bare", "")).toMatchObject({ provider: "local", retention: {} });
    expect(r.findStore("metrics", "")?.retention).toEqual({});
  });

  it("a project-scoped definition overrides the unscoped one for that project only", () => {
    const r = parseManifests(
      `${store("  retention: { max_entries: 5 }")}---\n${store("  retention: { max_entries: 9 }", "  name: metrics\n  project: p1")}`,
    );
    expect(r.findStore("metrics", "p1")?.retention.maxEntries).toBe(9);
    expect(r.findStore("metrics", "p2")?.retention.maxEntries).toBe(5);
    expect(r.findStore("metrics", "")?.retention.maxEntries).toBe(5);
  });

  it("loads a directory of *.yaml and *.yml files, and merges sets with later definitions winning", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wfstore-manifests-"));
    fs.writeFileSync(path.join(dir, "a.yaml"), store("  provider: file"));
    fs.writeFileSync(path.join(dir, "b.yml"), provider("  process: [node, server.js]"));
    fs.writeFileSync(path.join(dir, "notes.txt"), "not a manifest");
    const fromDir = loadManifests({ paths: [dir] });
    expect(fromDir.stores.map((s) => s.provider)).toEqual(["file"]);
    expect(fromDir.providers[0]).toMatchObject({ mode: "process", baseDir: dir });
    const merged = mergeResources(fromDir, parseManifests(store("  provider: local")));
    expect(merged.stores.map((s) => s.provider)).toEqual(["local"]);
    expect(merged.providers).toHaveLength(1);
  });
});

describe("invalid manifests: every error, with its path and file:line:col", () => {
  const cases: [string, string, string[]][] = [
    [
      "a misspelt field, with a suggestion",
      store("  retension:\n    max_entries: 3"),
      ['stores.yaml:6:3: spec.retension: unknown field "retension" (did you mean "retention"?)'],
    ],
    [
      "a misspelt nested field",
      store("  retention:\n    max_entrys: 3"),
      [
        'stores.yaml:7:5: spec.retention.max_entrys: unknown field "max_entrys" (did you mean "max_entries"?)',
      ],
    ],
    [
      "a wrong type",
      store('  retention:\n    ttl_days: "90"'),
      ['stores.yaml:7:15: spec.retention.ttl_days: expected integer, got string "90"'],
    ],
    [
      "a number out of range",
      store("  retention:\n    max_entries: 0"),
      ["stores.yaml:7:18: spec.retention.max_entries: must be >= 1, got number 0"],
    ],
    [
      "a bad store name",
      store("", "  name: my store"),
      [
        'stores.yaml:4:9: metadata.name: must be 1-63 characters of [A-Za-z0-9._-], starting with a letter or digit, got string "my store"',
      ],
    ],
    [
      "a missing name",
      store("", "  project: p"),
      ['stores.yaml:4:3: metadata: missing required field "name"'],
    ],
    [
      "an unknown apiVersion",
      store("").replace("orchestrator.dev/v2", "v1"),
      [
        'stores.yaml:1:13: apiVersion: must be one of "orchestrator.dev/v2", "wfstore.dev/v1", got string "v1"',
      ],
    ],
    [
      "a duplicate YAML key",
      store("  provider: local\n  provider: file"),
      ['stores.yaml:7:3: duplicate key "provider": a key may appear only once in a mapping'],
    ],
    [
      "a duplicate resource",
      `${store("")}---\n${store("  provider: file")}`,
      ["stores.yaml:11:9: metadata.name: duplicate WorkflowStore/metrics: first declared at stores.yaml:1:1"],
    ],
    [
      "an invalid JSON Schema",
      store("  schema:\n    type: integr"),
      [
        'stores.yaml:7:11: spec.schema.type: invalid JSON Schema: must be one of "array", "boolean", "integer", "null", "number", "object", "string"',
      ],
    ],
    [
      "a JSON Schema with a remote $ref (never fetched)",
      store("  schema:\n    $ref: https://example.com/s.json"),
      [
        "stores.yaml:7:5: spec.schema: invalid JSON Schema: cannot compile: can't resolve reference https://example.com/s.json",
      ],
    ],
    [
      "a base_path escaping the data directory",
      store("  provider: file\n  base_path: ../../etc"),
      ['stores.yaml:7:14: spec.base_path: must stay inside the data directory (no ".." segments)'],
    ],
    [
      "an absolute base_path",
      store("  provider: file\n  base_path: /etc"),
      ["stores.yaml:7:14: spec.base_path: must be relative to the data directory"],
    ],
    [
      "both backend and provider",
      store("  backend: local\n  provider: local"),
      ["stores.yaml:6:3: spec.backend: set provider only: backend is its older spelling"],
    ],
    [
      "a provider with no way to serve",
      provider("  timeout_seconds: 5"),
      ["stores.yaml:6:3: spec: set one of commands, process or plugin"],
    ],
    [
      "a provider with two ways",
      provider("  process: ./p\n  plugin: '@acme/x'"),
      ["stores.yaml:6:3: spec: set only one of commands, process and plugin (found process, plugin)"],
    ],
    [
      "an incomplete commands set and a bad command",
      provider("  commands:\n    get: ./kv get\n    put: 42"),
      [
        'stores.yaml:7:5: spec.commands: missing required field "delete"',
        'stores.yaml:7:5: spec.commands: missing required field "list"',
        "stores.yaml:8:10: spec.commands.put: must be a command string (run with sh -c) or a non-empty array of strings (argv, no shell), got number 42",
      ],
    ],
    [
      "a bad env variable name",
      provider("  process: ./p\n  env: [HOME, 'BAD-NAME']"),
      ['stores.yaml:7:15: spec.env[1]: must be an environment variable name, got string "BAD-NAME"'],
    ],
    [
      "options without a plugin",
      provider("  process: ./p\n  options: {}"),
      ["stores.yaml:7:3: spec.options: options are for plugin providers only"],
    ],
    [
      "a document that is not a mapping",
      "- just\n- a list\n",
      ["stores.yaml:1:1: a manifest document must be a mapping with apiVersion, kind, metadata and spec"],
    ],
    [
      "a document without kind",
      "apiVersion: wfstore.dev/v1\nmetadata: { name: x }\n",
      ["stores.yaml:1:1: kind: missing kind: every document needs apiVersion, kind, metadata and spec"],
    ],
    [
      "broken YAML syntax",
      "kind: WorkflowStore\nmetadata: { name: x\n",
      [
        "stores.yaml:3:1: YAML syntax: Flow map in block collection must be sufficiently indented and end with a }",
      ],
    ],
  ];
  for (const [what, yaml, expected] of cases) {
    it(what, () => expect(issues(yaml)).toEqual(expected));
  }

  it("reports every error of several files in one run, in input order", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wfstore-manifests-"));
    fs.writeFileSync(path.join(dir, "1.yaml"), store("  retention: { ttl_days: -1 }"));
    fs.writeFileSync(
      path.join(dir, "2.yaml"),
      `${store("  provider: 'no way'")}---\n${provider("  commands: {}")}`,
    );
    const error = (() => {
      try {
        loadManifests({ paths: [dir, path.join(dir, "missing.yaml")] });
      } catch (e) {
        return e as ManifestError;
      }
    })();
    expect(error?.issues.map((i) => `${path.basename(i.file ?? "")}:${i.line ?? "-"} ${i.path}`)).toEqual([
      "1.yaml:6 spec.retention.ttl_days",
      "2.yaml:6 spec.provider",
      "2.yaml:13 spec.commands",
      "2.yaml:13 spec.commands",
      "2.yaml:13 spec.commands",
      "2.yaml:13 spec.commands",
      "missing.yaml:- ",
    ]);
    expect(error?.message).toMatch(
      /^invalid manifest \(7 errors\):\n {2}\S+1\.yaml:6:26: spec\.retention\.ttl_days: must be >= 0, got number -1\n/,
    );
  });

  it("bounds YAML alias expansion (a billion laughs is an error, not a hang)", () => {
    const bomb = [
      "a: &a [x, x, x, x, x, x, x, x, x, x]",
      ...Array.from(
        { length: 8 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
            .fill(`*${String.fromCharCode(97 + i)}`)
            .join(", ")}]`,
      ),
    ].join("\n");
    expect(issues(bomb)[0]).toMatch(/^stores\.yaml:1:1: cannot read document: .*alias/i);
  });
});

describe("the published JSON Schemas", () => {
  it("manifest.schema.json validates both kinds through its relative $refs, as an editor would", async () => {
    const { Ajv } = await import("ajv");
    const dir = path.join(__dirname, "..", "schemas");
    const load = (f: string) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"));
    const ajv = new Ajv({ strict: false, allErrors: true });
    // The referenced files are known by their file names, as a language server resolves them on disk.
    ajv.addSchema(load("workflowstore.schema.json"), "workflowstore.schema.json");
    ajv.addSchema(load("storebackendprovider.schema.json"), "storebackendprovider.schema.json");
    const validate = ajv.compile(load("manifest.schema.json"));
    const good = {
      apiVersion: "wfstore.dev/v1",
      kind: "WorkflowStore",
      metadata: { name: "m" },
      spec: { retention: { max_entries: 5 } },
    };
    expect(validate(good)).toBe(true);
    expect(validate({ ...good, spec: { retension: {} } })).toBe(false);
    expect(
      validate({
        apiVersion: "wfstore.dev/v1",
        kind: "StoreBackendProvider",
        metadata: { name: "p" },
        spec: { process: "./p" },
      }),
    ).toBe(true);
    expect(
      validate({
        apiVersion: "wfstore.dev/v1",
        kind: "StoreBackendProvider",
        metadata: { name: "p" },
        spec: { proces: "./p" },
      }),
    ).toBe(false);
    expect(validate({ apiVersion: "x/v1", kind: "Workflow", anything: true })).toBe(true); // other kinds pass
  });
});
