import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import YAML from "yaml";
import { boundCli, EXAMPLES, tempDir, write } from "./helpers";

let dir: string;
let cleanup: () => void;
let cli: ReturnType<typeof boundCli>;
let data: string;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  data = path.join(dir, "data");
  cli = boundCli(data, dir);
});
afterEach(() => cleanup());

const STORE = `apiVersion: wfstore.dev/v1
kind: WorkflowStore
metadata:
  name: metrics
spec:
  schema:
    type: object
    required: [test_count]
    properties:
      test_count: { type: integer, minimum: 0 }
  retention:
    max_entries: 3
`;

/** Where apply keeps resources: apart from every store's data (issue 14 hole 8). */
const RESOURCES = [".wfstore-cli", "resources"];
const record = (...parts: string[]) =>
  JSON.parse(fs.readFileSync(path.join(data, ...RESOURCES, ...parts), "utf8"));

describe("apply", () => {
  it("saves one JSON record per resource in <data dir>/.wfstore-cli/resources and reports each", async () => {
    const r = await cli(["apply", "-f", EXAMPLES]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n").filter(Boolean).sort()).toEqual([
      "storebackendprovider/kv-script created",
      "workflowstore/journal created",
      "workflowstore/metrics created",
      "workflowstore/notes created",
    ]);
    const saved = path.join(data, ...RESOURCES);
    expect(fs.readdirSync(path.join(saved, "workflowstores")).sort()).toEqual([
      "journal.json",
      "metrics.json",
      "notes.json",
    ]);
    expect(fs.readdirSync(path.join(saved, "storebackendproviders"))).toEqual(["kv-script.json"]);
    const provider = record("storebackendproviders", "kv-script.json");
    // Relative commands keep resolving against the manifest's own directory.
    expect(provider.document.metadata.annotations["wfstore.dev/base-dir"]).toBe(EXAMPLES);
    expect(provider.config.baseDir).toBe(EXAMPLES);
    expect(provider.document.spec.commands.get).toEqual(["node", "kv-store.mjs", "get"]);
    expect(provider.applied_from).toBe(`${path.join(EXAMPLES, "providers.yaml")}:3:1`);
    // The store's validated configuration is saved beside its document: later commands load it as is.
    const metrics = record("workflowstores", "metrics.json");
    expect(metrics.config).toMatchObject({
      name: "metrics",
      provider: "local",
      retention: { maxEntries: 200, ttlDays: 90 },
    });
    expect(metrics.config.schema).toBeUndefined(); // kept once, in the document
    expect(metrics.document.spec.schema.required).toEqual(["test_count", "duration_ms"]);
  });

  it("says unchanged on a second apply and configured when the manifest changed", async () => {
    const file = write(path.join(dir, "m", "stores.yaml"), STORE);
    expect((await cli(["apply", "-f", file])).stdout).toBe("workflowstore/metrics created\n");
    expect((await cli(["apply", "-f", file])).stdout).toBe("workflowstore/metrics unchanged\n");
    write(file, STORE.replace("max_entries: 3", "max_entries: 4"));
    expect((await cli(["apply", "-f", file])).stdout).toBe("workflowstore/metrics configured\n");
    const json = await cli(["get", "workflowstore", "metrics", "--json"]);
    expect(JSON.parse(json.stdout).retention).toEqual({ max_entries: 4, ttl_days: null });
  });

  it("applies, then the applied store enforces its schema and retention", async () => {
    const file = write(path.join(dir, "stores.yaml"), STORE);
    await cli(["apply", "-f", file]);
    const bad = await cli(["store", "put", "metrics", "k", '{"test_count": -1}']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /^wfstore: error SCHEMA_VIOLATION: value for key "k" does not match the schema of store "metrics": test_count: /,
    );
    for (let i = 0; i < 5; i++)
      expect((await cli(["store", "put", "metrics", `k${i}`, `{"test_count": ${i}}`])).code).toBe(0);
    const list = JSON.parse((await cli(["store", "list", "metrics", "--json"])).stdout);
    expect(list.map((e: { key: string }) => e.key)).toEqual(["k4", "k3", "k2"]);
  });

  it("needs -f", async () => {
    const r = await cli(["apply"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "wfstore: error USAGE: apply needs manifests: wfstore apply -f FILE|DIR (see `wfstore apply --help`)\n",
    );
  });

  it("saves nothing when any document is invalid, and reports every issue with file:line:col", async () => {
    const file = write(
      path.join(dir, "bad.yaml"),
      `${STORE}---
apiVersion: wfstore.dev/v1
kind: WorkflowStore
metadata:
  name: journal
spec:
  retension:
    max_entries: 5
---
apiVersion: wfstore.dev/v1
kind: WorkflowStore
metadata:
  name: bad name
spec:
  retention: { max_entries: "ten" }
`,
    );
    const r = await cli(["apply", "-f", file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines[0]).toBe("wfstore: error INVALID_MANIFEST: invalid manifest (3 errors)");
    expect(lines[1]).toBe(
      '  bad.yaml:19:3: spec.retension: unknown field "retension" (did you mean "retention"?)',
    );
    expect(lines[2]).toMatch(/^ {2}bad\.yaml:25:9: metadata\.name: must be 1-63 characters/);
    expect(lines[3]).toMatch(
      /^ {2}bad\.yaml:27:29: spec\.retention\.max_entries: expected integer, got string "ten"/,
    );
    expect(lines).toHaveLength(4);
    expect(fs.existsSync(path.join(data, ".wfstore-cli"))).toBe(false);
  });

  it("reports a YAML syntax error and a duplicate key with their position", async () => {
    const file = write(
      path.join(dir, "dup.yaml"),
      "apiVersion: wfstore.dev/v1\nkind: WorkflowStore\nkind: WorkflowStore\nmetadata: {name: x}\n",
    );
    const r = await cli(["apply", "-f", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('  dup.yaml:3:1: duplicate key "kind"');
  });

  it("names a missing file", async () => {
    const r = await cli(["apply", "-f", "nope.yaml"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "wfstore: error INVALID_MANIFEST: invalid manifest\n  nope.yaml: cannot read: no such file or directory\n",
    );
  });

  it("warns about the deprecated backend field and an undeclared provider, but applies", async () => {
    const file = write(
      path.join(dir, "old.yaml"),
      "apiVersion: orchestrator.dev/v2\nkind: WorkflowStore\nmetadata: {name: old}\nspec:\n  backend: file\n---\napiVersion: wfstore.dev/v1\nkind: WorkflowStore\nmetadata: {name: orphan}\nspec: {provider: nowhere}\n---\napiVersion: orchestrator.dev/v2\nkind: Workflow\nmetadata: {name: build}\nspec: {steps: []}\n",
    );
    const r = await cli(["apply", "-f", file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'wfstore: warning: old.yaml:5:3: spec.backend: "backend" is deprecated: write "provider: file"',
    );
    expect(r.stderr).toContain('workflowstore "orphan" uses provider "nowhere", which is not declared');
    expect(r.stderr).toContain('ignoring Workflow "build" (not a wfstore kind)');
    expect(r.stdout).toContain("workflowstore/old created");
    // The orphan fails at first use with PROVIDER_NOT_FOUND: invalid input, exit 2.
    const use = await cli(["store", "get", "orphan", "k"]);
    expect(use.code).toBe(2);
    expect(use.stderr).toMatch(
      /^wfstore: error PROVIDER_NOT_FOUND: store "orphan" uses provider "nowhere", which is not declared/,
    );
  });

  it("prints JSON with --json", async () => {
    const file = write(path.join(dir, "s.yaml"), STORE);
    const r = await cli(["apply", "-f", file, "--json"]);
    expect(JSON.parse(r.stdout)).toEqual([
      {
        kind: "WorkflowStore",
        name: "metrics",
        project: null,
        action: "created",
        file: path.join(data, ...RESOURCES, "workflowstores", "metrics.json"),
      },
    ]);
  });

  it("keeps project-scoped definitions apart", async () => {
    const file = write(
      path.join(dir, "p.yaml"),
      `${STORE}---\n${STORE.replace("name: metrics", "name: metrics\n  project: p1").replace("max_entries: 3", "max_entries: 1")}`,
    );
    const r = await cli(["apply", "-f", file]);
    expect(r.stdout).toContain("workflowstore/metrics (project p1) created");
    expect(fs.existsSync(path.join(data, ...RESOURCES, "workflowstores", "metrics@p1.json"))).toBe(true);
    for (const k of ["a", "b"])
      await cli(["--project", "p1", "store", "put", "metrics", k, '{"test_count":1}']);
    expect(
      JSON.parse((await cli(["--project", "p1", "store", "list", "metrics", "--json"])).stdout),
    ).toHaveLength(1);
  });
});

describe("validate", () => {
  it("checks exactly like apply and saves nothing", async () => {
    const r = await cli(["validate", "-f", EXAMPLES]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("valid: 3 WorkflowStores, 1 StoreBackendProvider\n");
    expect(fs.existsSync(path.join(data, ".wfstore-cli"))).toBe(false);
  });

  it("fails with exit 2 and file:line:col on an invalid manifest", async () => {
    const file = write(path.join(dir, "v.yaml"), STORE.replace("max_entries: 3", "max_entrys: 3"));
    const r = await cli(["validate", "-f", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'wfstore: error INVALID_MANIFEST: invalid manifest\n  v.yaml:12:5: spec.retention.max_entrys: unknown field "max_entrys" (did you mean "max_entries"?)\n',
    );
  });

  it("rejects an invalid JSON Schema in a store", async () => {
    const file = write(path.join(dir, "s.yaml"), STORE.replace("type: integer", "type: integr"));
    const r = await cli(["validate", "-f", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("spec.schema.properties.test_count.type: invalid JSON Schema");
  });

  it("lists the resources with --json", async () => {
    const r = await cli(["validate", "-f", path.join(EXAMPLES, "stores.yaml"), "--json"]);
    const out = JSON.parse(r.stdout);
    expect(out.valid).toBe(true);
    expect(out.resources.map((x: { name: string }) => x.name)).toEqual(["metrics", "journal", "notes"]);
    expect(out.resources[0].source).toMatch(/stores\.yaml:\d+:1$/);
  });
});

describe("get workflowstores / storebackendproviders", () => {
  beforeEach(async () => {
    await cli(["apply", "-f", EXAMPLES]);
  });

  it("lists applied stores as a table", async () => {
    const r = await cli(["get", "workflowstores"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^NAME +PROJECT +PROVIDER +SCHEMA +MAX_ENTRIES +TTL_DAYS +SOURCE$/);
    expect(lines.slice(1).map((l) => l.split(/ +/))).toEqual([
      ["journal", "*", "local", "-", "5", "-", "applied"],
      ["metrics", "*", "local", "yes", "200", "90", "applied"],
      ["notes", "*", "kv-script", "-", "-", "-", "applied"],
    ]);
  });

  it("shows one store as its manifest, or as JSON", async () => {
    const yaml = await cli(["get", "ws", "metrics"]);
    expect(yaml.stdout).toMatch(
      /^# applied from .*examples\/stores\.yaml:\d+:1, saved in data\/\.wfstore-cli\/resources\/workflowstores\/metrics\.json\n/,
    );
    const doc = YAML.parse(yaml.stdout);
    expect(doc.kind).toBe("WorkflowStore");
    expect(doc.spec.retention).toEqual({ max_entries: 200, ttl_days: 90 });
    const json = JSON.parse((await cli(["get", "workflowstore", "metrics", "--json"])).stdout);
    expect(json).toMatchObject({
      name: "metrics",
      provider: "local",
      declared: true,
      retention: { max_entries: 200, ttl_days: 90 },
    });
    expect(json.schema.required).toEqual(["test_count", "duration_ms"]);
  });

  it("shows an undeclared store with its defaults", async () => {
    const r = await cli(["get", "workflowstore", "scratch"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      '# workflowstore "scratch" is not declared: it is auto-provisioned with these defaults',
    );
    expect(YAML.parse(r.stdout).spec).toEqual({ provider: "local" });
    expect(JSON.parse((await cli(["get", "ws", "scratch", "--json"])).stdout)).toMatchObject({
      declared: false,
      provider: "local",
    });
  });

  it("never prints a credential: URL passwords and secret-named options are hidden, what is saved is not", async () => {
    const file = write(
      path.join(dir, "secret.yaml"),
      `apiVersion: wfstore.dev/v1
kind: StoreBackendProvider
metadata: { name: shared }
spec:
  plugin: "@store/backend-postgres"
  options: { connection_string: "postgres://app:s3cret-pw@db.internal:5432/orch", api_token: "tok-123", schema: "w" }
`,
    );
    expect((await cli(["apply", "-f", file])).code).toBe(0);
    const shown = [
      (await cli(["get", "storebackendproviders", "shared"])).stdout,
      (await cli(["get", "storebackendproviders", "shared", "--json"])).stdout,
      (await cli(["get", "storebackendproviders", "--json"])).stdout,
    ].join("\n");
    expect(shown).not.toMatch(/s3cret-pw|tok-123/);
    expect(shown).toContain("postgres://app:***@db.internal:5432/orch");
    const saved = fs.readFileSync(
      path.join(data, ".wfstore-cli", "resources", "storebackendproviders", "shared.json"),
      "utf8",
    );
    expect(saved).toContain("s3cret-pw");
  });

  it("lists providers, builtin ones included", async () => {
    const r = await cli(["get", "storebackendproviders"]);
    const rows = r.stdout
      .trimEnd()
      .split("\n")
      .slice(1)
      .map((l) => l.split(/ +/).slice(0, 3));
    expect(rows).toEqual([
      ["local", "builtin", "builtin"],
      ["file", "builtin", "builtin"],
      ["kv-script", "commands", "applied"],
    ]);
    const json = JSON.parse((await cli(["get", "sbp", "kv-script", "--json"])).stdout);
    expect(json).toMatchObject({ name: "kv-script", type: "commands", declared: true, base_dir: EXAMPLES });
  });

  it("fails with PROVIDER_NOT_FOUND for an unknown provider", async () => {
    const r = await cli(["get", "sbp", "nope"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'wfstore: error PROVIDER_NOT_FOUND: storebackendprovider "nope" is not declared (declared: local, file, kv-script)\n',
    );
  });

  it("layers -f manifests over the applied ones for one invocation", async () => {
    const file = write(path.join(dir, "override.yaml"), STORE.replace("max_entries: 3", "max_entries: 7"));
    const r = await cli(["-f", file, "get", "ws", "metrics", "--json"]);
    expect(JSON.parse(r.stdout).retention.max_entries).toBe(7);
    expect(JSON.parse(r.stdout).source).toBe("override.yaml:1:1");
    // …and only for that invocation.
    expect(JSON.parse((await cli(["get", "ws", "metrics", "--json"])).stdout).retention.max_entries).toBe(
      200,
    );
  });

  it("validates a record edited by hand again, like a manifest, naming the file", async () => {
    const file = path.join(data, ...RESOURCES, "workflowstores", "journal.json");
    const saved = JSON.parse(fs.readFileSync(file, "utf8"));
    saved.document.spec.retension = 1;
    fs.writeFileSync(file, JSON.stringify(saved));
    const r = await cli(["get", "ws"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^wfstore: error INVALID_MANIFEST: invalid manifest\n {2}data\/\.wfstore-cli\/resources\/workflowstores\/journal\.json: spec\.retension: unknown field/,
    );
    // A valid edit is taken, with a warning that it is validated on every use until applied again.
    delete saved.document.spec.retension;
    saved.document.spec.retention.max_entries = 7;
    fs.writeFileSync(file, JSON.stringify(saved));
    const edited = await cli(["get", "ws", "journal", "--json"]);
    expect(edited.code, edited.stderr).toBe(0);
    expect(JSON.parse(edited.stdout).retention.max_entries).toBe(7);
    expect(edited.stderr).toMatch(/^wfstore: warning: .*journal\.json was changed after it was applied/);
  });

  it("reports a record that is not JSON, naming the file", async () => {
    fs.writeFileSync(path.join(data, ...RESOURCES, "workflowstores", "notes.json"), "{ not json");
    const r = await cli(["store", "get", "notes", "k"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^wfstore: error INVALID_MANIFEST: invalid manifest\n {2}data\/\.wfstore-cli\/resources\/workflowstores\/notes\.json: not JSON/,
    );
  });
});

describe("delete workflowstore", () => {
  it("removes the definition and keeps the entries", async () => {
    const file = write(path.join(dir, "s.yaml"), STORE);
    await cli(["apply", "-f", file]);
    await cli(["store", "put", "metrics", "k", '{"test_count": 1}']);
    const r = await cli(["delete", "workflowstore", "metrics"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("workflowstore/metrics deleted (its entries are kept)\n");
    expect(fs.existsSync(path.join(data, ...RESOURCES, "workflowstores", "metrics.json"))).toBe(false);
    // No schema any more (auto-provisioned), same entries.
    expect((await cli(["store", "get", "metrics", "k"])).stdout).toBe('{"test_count":1}\n');
    expect((await cli(["store", "put", "metrics", "k2", '"anything"'])).code).toBe(0);
  });

  it("fails with NOT_FOUND (exit 2) when nothing is applied under that name", async () => {
    const r = await cli(["delete", "ws", "metrcs"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^wfstore: error NOT_FOUND: workflowstore\/metrcs is not applied in .*\.wfstore-cli\/resources/,
    );
  });

  it("removes a provider", async () => {
    await cli(["apply", "-f", EXAMPLES]);
    expect((await cli(["delete", "storebackendprovider", "kv-script"])).stdout).toBe(
      "storebackendprovider/kv-script deleted\n",
    );
    const r = await cli(["store", "get", "notes", "k"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("PROVIDER_NOT_FOUND");
  });
});

describe("applied resources are kept apart from stores' data (issue 14 hole 8)", () => {
  it("a file store with base_path resources and a project named like a resource file breaks nothing", async () => {
    const file = write(
      path.join(dir, "hostile.yaml"),
      `apiVersion: wfstore.dev/v1
kind: WorkflowStore
metadata: {name: workflowstores}
spec: {provider: file, base_path: resources}
---
apiVersion: wfstore.dev/v1
kind: WorkflowStore
metadata: {name: storebackendproviders}
spec: {provider: file, base_path: .}
`,
    );
    expect((await cli(["apply", "-f", file])).code).toBe(0);
    for (const project of ["evil.yaml", "evil.json", "metrics.json"]) {
      const put = await cli(["--project", project, "store", "put", "workflowstores", "k", "1"]);
      expect(put.code, put.stderr).toBe(0);
      expect(
        (await cli(["--project", project, "store", "put", "storebackendproviders", "k", "1"])).code,
      ).toBe(0);
    }
    // The store's directories are where its base_path says, and every later command still works.
    expect(fs.statSync(path.join(data, "resources", "workflowstores", "evil.yaml")).isDirectory()).toBe(true);
    const list = await cli(["get", "workflowstores"]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.trimEnd().split("\n")).toHaveLength(3);
    expect((await cli(["apply", "-f", path.join(EXAMPLES, "stores.yaml")])).code).toBe(0);
    expect((await cli(["store", "put", "metrics", "m", '{"test_count": 1, "duration_ms": 2}'])).code).toBe(0);
    expect((await cli(["--project", "evil.yaml", "store", "get", "workflowstores", "k"])).stdout).toBe("1\n");
  });

  it("refuses a base_path inside the CLI's own directory", async () => {
    const file = write(
      path.join(dir, "reserved.yaml"),
      "apiVersion: wfstore.dev/v1\nkind: WorkflowStore\nmetadata: {name: sneaky}\nspec: {provider: file, base_path: ./.WFSTORE-CLI/resources}\n",
    );
    for (const args of [
      ["apply", "-f", file],
      ["-f", file, "store", "put", "sneaky", "k", "1"],
    ]) {
      const r = await cli(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        'wfstore: error INVALID_MANIFEST: invalid manifest\n  reserved.yaml:1:1: spec.base_path: ".WFSTORE-CLI/resources" is inside .wfstore-cli/, where wfstore keeps the applied resources: choose another base_path\n',
      );
    }
    expect(fs.existsSync(path.join(data, ".wfstore-cli"))).toBe(false);
  });

  it("a command on one store reads only that store's record (others may even be broken)", async () => {
    await cli(["apply", "-f", EXAMPLES]);
    fs.writeFileSync(path.join(data, ...RESOURCES, "workflowstores", "metrics.json"), "garbage");
    expect((await cli(["store", "put", "journal", "k", '"v"'])).code).toBe(0);
    expect((await cli(["store", "get", "journal", "k"])).stdout).toBe('"v"\n');
    expect((await cli(["store", "get", "metrics", "k"])).code).toBe(2);
  });

  it("names in `delete` never become paths outside the resources", async () => {
    const r = await cli(["delete", "ws", "../../../etc/passwd"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^wfstore: error INVALID_ARGUMENT: invalid name "\.\.\/\.\.\/\.\.\/etc\/passwd"/,
    );
  });
});

describe("an endless manifest input (issue 14 hole 10)", () => {
  it("-f /dev/zero is one clear INVALID_MANIFEST error, for apply and for a store command", async () => {
    for (const args of [
      ["apply", "-f", "/dev/zero"],
      ["-f", "/dev/zero", "store", "get", "s", "k"],
    ]) {
      const r = await cli(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        "wfstore: error INVALID_MANIFEST: invalid manifest\n  /dev/zero: larger than 16777216 bytes: not a manifest\n",
      );
    }
  });
});
