import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { boundCli, EXAMPLES, tempDir, write } from "./helpers";

const { dir, cleanup } = tempDir();
afterAll(cleanup);
const data = path.join(dir, "data");
const cli = boundCli(data, dir);

const providers = write(
  path.join(dir, "manifests", "providers.yaml"),
  `apiVersion: wfstore.dev/v1
kind: StoreBackendProvider
metadata: {name: broken}
spec:
  commands:
    get: "echo 'kv: disk on fire' >&2; exit 1"
    put: "echo 'kv: read-only' >&2; exit 4"
    delete: "exit 1"
    list: "exit 1"
---
apiVersion: wfstore.dev/v1
kind: StoreBackendProvider
metadata: {name: slow}
spec:
  commands: {get: "sleep 10", put: "sleep 10", delete: "sleep 10", list: "sleep 10"}
  timeout_seconds: 0.5
---
apiVersion: wfstore.dev/v1
kind: StoreBackendProvider
metadata: {name: garbage}
spec:
  commands: {get: "echo '<html>oops'", put: "true", delete: "true", list: "echo nope"}
---
apiVersion: wfstore.dev/v1
kind: WorkflowStore
metadata: {name: on-broken}
spec: {provider: broken}
---
apiVersion: wfstore.dev/v1
kind: WorkflowStore
metadata: {name: on-slow}
spec: {provider: slow}
---
apiVersion: wfstore.dev/v1
kind: WorkflowStore
metadata: {name: on-garbage}
spec: {provider: garbage}
`,
);

describe("provider failures exit 3", () => {
  beforeAll(async () => {
    expect((await cli(["apply", "-f", providers])).code).toBe(0);
  });

  it("a command that exits 1: PROVIDER_FAILED with its exit code and stderr", async () => {
    const r = await cli(["store", "get", "on-broken", "k"]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^wfstore: error PROVIDER_FAILED: /);
    expect(lines[0]).toContain("on-broken");
    expect(lines[0]).toContain("kv: disk on fire");
  });

  it("a failing put: PROVIDER_FAILED, the value never spliced into the command", async () => {
    const r = await cli(["store", "put", "on-broken", "k", '"$(touch pwned)"']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^wfstore: error PROVIDER_FAILED: .*kv: read-only/);
    expect(fs.existsSync(path.join(dir, "manifests", "pwned"))).toBe(false);
  });

  it("--verbose adds the cause chain, and never a stack trace without it", async () => {
    const plain = await cli(["store", "get", "on-broken", "k"]);
    expect(plain.stderr).not.toMatch(/\n\s+at /);
    const verbose = await cli(["store", "get", "on-broken", "k", "--verbose"]);
    expect(verbose.code).toBe(3);
    expect(verbose.stderr.split("\n")[0]).toBe(plain.stderr.split("\n")[0]);
    expect(verbose.stderr.split("\n").length).toBeGreaterThanOrEqual(plain.stderr.split("\n").length);
  });

  it("a command that hangs: PROVIDER_TIMEOUT", async () => {
    const r = await cli(["store", "get", "on-slow", "k"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^wfstore: error PROVIDER_TIMEOUT: /);
  });

  it("garbage output: PROVIDER_PROTOCOL quoting its first bytes", async () => {
    const r = await cli(["store", "get", "on-garbage", "k"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^wfstore: error PROVIDER_PROTOCOL: .*<html>oops/);
    const list = await cli(["store", "list", "on-garbage"]);
    expect(list.code).toBe(3);
    expect(list.stderr).toMatch(/^wfstore: error PROVIDER_PROTOCOL: /);
  });

  it("a plugin package that is not installed: PLUGIN_NOT_INSTALLED naming it", async () => {
    const manifest = write(
      path.join(dir, "plugin.yaml"),
      "apiVersion: wfstore.dev/v1\nkind: StoreBackendProvider\nmetadata: {name: acme}\nspec: {plugin: '@acme/store-backend-nowhere'}\n---\napiVersion: wfstore.dev/v1\nkind: WorkflowStore\nmetadata: {name: on-acme}\nspec: {provider: acme}\n",
    );
    const r = await cli(["-f", manifest, "store", "get", "on-acme", "k"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /^wfstore: error PLUGIN_NOT_INSTALLED: .*"@acme\/store-backend-nowhere".*npm install @acme\/store-backend-nowhere/,
    );
  });
});

describe("the example command provider (examples/kv-store.mjs)", () => {
  const kvDir = path.join(dir, "kv");

  it("serves the notes store through the CLI", async () => {
    // The provider passes $KV_STORE_DIR on from the host's environment: in-process, this one's.
    process.env.KV_STORE_DIR = kvDir;
    expect((await cli(["apply", "-f", EXAMPLES])).code).toBe(0);
    // Run from another directory: the saved provider still finds kv-store.mjs next to its manifest.
    const elsewhere = { cwd: path.join(dir, "manifests") };
    expect(
      (await cli(["store", "put", "notes", "lesson-1", '"cache the deps"', "--task", "t1"], elsewhere)).code,
    ).toBe(0);
    expect((await cli(["store", "put", "notes", "lesson-2", '{"text": "pin node"}'], elsewhere)).code).toBe(
      0,
    );
    expect((await cli(["store", "get", "notes", "lesson-1"], elsewhere)).stdout).toBe('"cache the deps"\n');
    const entry = JSON.parse((await cli(["store", "get", "notes", "lesson-1", "--entry"], elsewhere)).stdout);
    expect(entry).toMatchObject({ key: "lesson-1", task_id: "t1" });
    expect(Number.isSafeInteger(entry.version) && entry.version > 0).toBe(true);
    expect(entry.updated_at).toMatch(/Z$/);
    const list = JSON.parse((await cli(["store", "list", "notes", "--json"], elsewhere)).stdout);
    expect(list.map((e: { key: string }) => e.key)).toEqual(["lesson-2", "lesson-1"]);
    expect((await cli(["store", "get", "notes", "nope"], elsewhere)).code).toBe(1);
    expect(
      JSON.parse((await cli(["store", "delete", "notes", "lesson-2", "--json"], elsewhere)).stdout),
    ).toEqual({ existed: true });
    expect(
      JSON.parse((await cli(["store", "prune", "notes", "--max-entries", "0", "--json"], elsewhere)).stdout),
    ).toEqual({ removed: 1 });
    // The provider's own file, where $KV_STORE_DIR told it.
    expect(fs.existsSync(path.join(kvDir, "notes", "_default.json"))).toBe(true);
  });
});

describe("provider output in tables and errors is escaped (issue 13)", () => {
  it("a process provider's command with escape sequences is shown escaped in `get storebackendproviders`", async () => {
    const manifest = write(
      path.join(dir, "escapes.yaml"),
      'apiVersion: wfstore.dev/v1\nkind: StoreBackendProvider\nmetadata: {name: loud}\nspec:\n  process: "printf \\"\\\\e[2J\\\\e]0;owned\\\\a\\" \\u202e"\n',
    );
    const r = await cli(["-f", manifest, "get", "storebackendproviders"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("\\u202e");
    expect(r.stdout).not.toMatch(/[\u001b\u0007\u202e]/);
  });

  it("a failing command's stderr with escape sequences and bidi characters stays one printable line", async () => {
    const manifest = write(
      path.join(dir, "noisy.yaml"),
      `apiVersion: wfstore.dev/v1
kind: StoreBackendProvider
metadata: {name: noisy}
spec:
  commands:
    get: "printf '\\\\033[2J\\\\033]0;owned\\\\007 boom\\\\n\\\\342\\\\200\\\\256reversed\\\\n' >&2; exit 1"
    put: "true"
    delete: "true"
    list: "echo []"
---
apiVersion: wfstore.dev/v1
kind: WorkflowStore
metadata: {name: on-noisy}
spec: {provider: noisy}
`,
    );
    const r = await cli(["-f", manifest, "store", "get", "on-noisy", "k"]);
    expect(r.code).toBe(3);
    expect(r.stderr.endsWith("\n")).toBe(true);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^wfstore: error PROVIDER_FAILED: .*\\x1b\[2J.*boom.*\\u202ereversed/);
    expect(r.stderr.trimEnd()).not.toMatch(/[\u0000-\u001f\u007f\u202e]/);
  });
});
