import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { boundCli, tempDir, write } from "./helpers";

const { dir, cleanup } = tempDir();
afterAll(cleanup);
const cli = boundCli(path.join(dir, "data"), dir);

describe("store put / get", () => {
  it("round-trips a value given as an argument, printed as one line of JSON", async () => {
    const put = await cli([
      "store",
      "put",
      "s",
      "k1",
      '{ "a": [1, 2, {"b": null}], "c": "é😀" }',
      "--task",
      "task-7",
    ]);
    expect(put.code).toBe(0);
    expect(put.stdout).toMatch(
      /^stored "k1" in store "s" as version 1 at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \(task task-7\)\n$/,
    );
    const get = await cli(["store", "get", "s", "k1"]);
    expect(get.code).toBe(0);
    expect(get.stdout).toBe('{"a":[1,2,{"b":null}],"c":"é😀"}\n');
    expect(get.stderr).toBe("");
  });

  it("reads the value from stdin when it is absent or '-'", async () => {
    expect((await cli(["store", "put", "s", "from-stdin"], { input: '{"x": 1}\n' })).code).toBe(0);
    expect((await cli(["store", "put", "s", "from-dash", "-"], { input: "[true]" })).code).toBe(0);
    expect((await cli(["store", "get", "s", "from-stdin"])).stdout).toBe('{"x":1}\n');
    expect((await cli(["store", "get", "s", "from-dash"])).stdout).toBe("[true]\n");
  });

  it("takes a large value on stdin", async () => {
    const big = JSON.stringify({ blob: "x".repeat(3 * 1024 * 1024) });
    expect((await cli(["store", "put", "s", "big"], { input: big })).code).toBe(0);
    const get = await cli(["store", "get", "s", "big"]);
    expect(get.stdout.length).toBe(big.length + 1);
  });

  it("stores null as a value, distinct from an absent key", async () => {
    await cli(["store", "put", "s", "nothing", "null"]);
    const r = await cli(["store", "get", "s", "nothing"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("null\n");
  });

  it("accepts a negative number after --", async () => {
    expect((await cli(["store", "put", "s", "neg", "--", "-5"])).code).toBe(0);
    expect((await cli(["store", "get", "s", "neg"])).stdout).toBe("-5\n");
  });

  it("exits 1 with nothing on stdout for an absent key", async () => {
    const r = await cli(["store", "get", "s", "absent"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("");
    const verbose = await cli(["store", "get", "s", "absent", "-v"]);
    expect(verbose.code).toBe(1);
    expect(verbose.stdout).toBe("");
    expect(verbose.stderr).toBe('wfstore: key "absent" is absent from store "s"\n');
  });

  it("prints the whole entry with --entry", async () => {
    const r = await cli(["store", "get", "s", "k1", "--entry"]);
    const entry = JSON.parse(r.stdout);
    expect(Object.keys(entry)).toEqual(["key", "value", "version", "updated_at", "created_at", "task_id"]);
    expect(entry).toMatchObject({ key: "k1", task_id: "task-7", version: 1 });
  });

  it("prints {value, version, updated_at, task_id} with --json", async () => {
    const r = await cli(["store", "get", "s", "k1", "--json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(["value", "version", "updated_at", "task_id"]);
    expect(out).toMatchObject({ value: { a: [1, 2, { b: null }], c: "é😀" }, version: 1, task_id: "task-7" });
  });

  it("keeps keys exactly: slashes, dots, spaces, case and Unicode forms", async () => {
    const keys = ["a/b\\c", "..", "Key", "key", "caf\u00e9", "cafe\u0301", " spaced ", "CON", "%2F?:"];
    for (const [i, key] of keys.entries())
      expect((await cli(["store", "put", "keys", key, String(i)])).code).toBe(0);
    for (const [i, key] of keys.entries())
      expect((await cli(["store", "get", "keys", key])).stdout).toBe(`${i}\n`);
  });

  it("prints JSON with --json", async () => {
    const r = await cli(["store", "put", "s", "j", "1", "--task", "t", "--json"]);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(["key", "version", "updated_at", "task_id"]);
    expect(out).toMatchObject({ key: "j", task_id: "t", version: 1 });
  });
});

describe("bad input exits 2 with one error line", () => {
  it("bad JSON", async () => {
    const r = await cli(["store", "put", "s", "k", "{not json}"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^wfstore: error INVALID_VALUE: invalid value: not JSON \(.+\)\n$/);
  });

  it("bad JSON on stdin", async () => {
    const r = await cli(["store", "put", "s", "k"], { input: "[1, 2" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^wfstore: error INVALID_VALUE: invalid value: not JSON/);
  });

  it("empty stdin", async () => {
    const r = await cli(["store", "put", "s", "k", "-"], { input: "" });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("wfstore: error INVALID_VALUE: invalid value: empty input, expected JSON\n");
  });

  it("an invalid key (control character)", async () => {
    const r = await cli(["store", "put", "s", "bad\u0001key", "1"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'wfstore: error INVALID_KEY: invalid key "bad\\u0001key": contains a control character\n',
    );
  });

  it("an invalid key (too long)", async () => {
    const r = await cli(["store", "get", "s", "k".repeat(513)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^wfstore: error INVALID_KEY: invalid key "k+"…: longer than 512 characters\n$/);
  });

  it("a value too large", async () => {
    const r = await cli(["store", "put", "s", "huge"], {
      input: JSON.stringify("x".repeat(17 * 1024 * 1024)),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^wfstore: error VALUE_TOO_LARGE: value too large: \d+ bytes serialized, the limit is 16777216\n$/,
    );
  });

  it("a schema violation names the store, key and field", async () => {
    const manifest = write(
      path.join(dir, "schema.yaml"),
      "apiVersion: wfstore.dev/v1\nkind: WorkflowStore\nmetadata: {name: typed}\nspec:\n  schema:\n    type: object\n    required: [n]\n    properties: {n: {type: integer}}\n",
    );
    const r = await cli(["-f", manifest, "store", "put", "typed", "k", '{"n": "one"}']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'wfstore: error SCHEMA_VIOLATION: value for key "k" does not match the schema of store "typed": n: must be integer\n',
    );
    const missing = await cli(["-f", manifest, "store", "put", "typed", "k", "{}"]);
    expect(missing.stderr).toContain('(value): missing required property "n"');
    expect((await cli(["-f", manifest, "store", "put", "typed", "k", '{"n": 1}'])).code).toBe(0);
  });
});

describe("store delete", () => {
  it("says whether the key existed, and is idempotent", async () => {
    await cli(["store", "put", "d", "k", "1"]);
    const first = await cli(["store", "delete", "d", "k"]);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe('deleted "k" from store "d"\n');
    const second = await cli(["store", "delete", "d", "k", "--json"]);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual({ existed: false });
    expect((await cli(["store", "get", "d", "k"])).code).toBe(1);
  });
});

describe("store list", () => {
  it("prints entries newest first as JSON with snake_case fields", async () => {
    for (const k of ["one", "two", "three"])
      await cli(["store", "put", "l", k, JSON.stringify({ k }), "--task", `t-${k}`]);
    const r = await cli(["store", "list", "l", "--json"]);
    expect(r.code).toBe(0);
    const entries = JSON.parse(r.stdout);
    expect(entries.map((e: { key: string }) => e.key)).toEqual(["three", "two", "one"]);
    expect(Object.keys(entries[0])).toEqual([
      "key",
      "value",
      "version",
      "updated_at",
      "created_at",
      "task_id",
    ]);
    expect(entries[0]).toMatchObject({ value: { k: "three" }, task_id: "t-three" });
  });

  it("pages with --limit and --offset", async () => {
    const page = JSON.parse(
      (await cli(["store", "list", "l", "--limit", "1", "--offset", "1", "--json"])).stdout,
    );
    expect(page.map((e: { key: string }) => e.key)).toEqual(["two"]);
  });

  it("prints an aligned table with values shortened", async () => {
    await cli(["store", "put", "l", "long", JSON.stringify({ text: "y".repeat(500) })]);
    const r = await cli(["store", "list", "l"]);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^KEY +VERSION +UPDATED_AT +TASK_ID +VALUE$/);
    const valueColumn = lines[0]!.indexOf("VALUE");
    expect(lines[1]!.startsWith("long ")).toBe(true);
    expect(lines[1]!.indexOf('{"text"')).toBe(valueColumn);
    expect(lines[1]!.endsWith("…")).toBe(true);
    expect(lines[1]!.length).toBeLessThanOrEqual(160);
    expect(lines[2]).toMatch(/^three +1 +\d{4}-\S+ +t-three +\{"k":"three"\}$/);
    expect(lines[2]!.indexOf('{"k"')).toBe(valueColumn);
  });

  it("says so when a store is empty", async () => {
    const r = await cli(["store", "list", "empty"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('no entries in store "empty"\n');
    expect((await cli(["store", "list", "empty", "--json"])).stdout).toBe("[]\n");
  });

  it("keeps projects apart", async () => {
    await cli(["--project", "alpha", "store", "put", "proj", "k", '"a"']);
    await cli(["--project", "beta", "store", "put", "proj", "k", '"b"']);
    expect((await cli(["--project", "alpha", "store", "get", "proj", "k"])).stdout).toBe('"a"\n');
    expect((await cli(["--project", "beta", "store", "get", "proj", "k"])).stdout).toBe('"b"\n');
    expect((await cli(["store", "get", "proj", "k"])).code).toBe(1);
  });
});

describe("store prune", () => {
  it("removes entries beyond --max-entries and reports how many", async () => {
    for (let i = 0; i < 5; i++) await cli(["store", "put", "p", `k${i}`, String(i)]);
    const r = await cli(["store", "prune", "p", "--max-entries", "2", "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ removed: 3 });
    const keys = JSON.parse((await cli(["store", "list", "p", "--json"])).stdout).map(
      (e: { key: string }) => e.key,
    );
    expect(keys).toEqual(["k4", "k3"]);
    expect((await cli(["store", "prune", "p", "--max-entries", "1"])).stdout).toBe(
      'removed 1 entry from store "p"\n',
    );
  });

  it("defaults to the store's retention (nothing to do without one)", async () => {
    for (let i = 0; i < 3; i++) await cli(["store", "put", "p2", `k${i}`, String(i)]);
    expect((await cli(["store", "prune", "p2"])).stdout).toBe('removed 0 entries from store "p2"\n');
    const manifest = write(
      path.join(dir, "retention.yaml"),
      "apiVersion: wfstore.dev/v1\nkind: WorkflowStore\nmetadata: {name: p2}\nspec: {retention: {max_entries: 1}}\n",
    );
    expect(JSON.parse((await cli(["-f", manifest, "store", "prune", "p2", "--json"])).stdout)).toEqual({
      removed: 2,
    });
    expect((await cli(["store", "get", "p2", "k2"])).code).toBe(0);
    expect((await cli(["store", "get", "p2", "k1"])).code).toBe(1);
  });

  it("rejects a negative --max-entries", async () => {
    const r = await cli(["store", "prune", "p", "--max-entries", "-1"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("wfstore: error INVALID_ARGUMENT: invalid max_entries -1");
  });
});

describe("conditional writes (issue 11)", () => {
  it("--if-version writes when the version matches, else exits 4 with one line naming the current version", async () => {
    expect((await cli(["store", "put", "c", "k", '"one"'])).code).toBe(0);
    const second = JSON.parse(
      (await cli(["store", "put", "c", "k", '"two"', "--if-version", "1", "--json"])).stdout,
    );
    expect(second.version).toBe(2);
    const stale = await cli(["store", "put", "c", "k", '"stale"', "--if-version", "1"]);
    expect(stale.code).toBe(4);
    expect(stale.stdout).toBe("");
    expect(stale.stderr).toBe(
      'wfstore: error CONFLICT: store "c": put of key "k": expected version 1, found version 2; nothing was written\n',
    );
    expect((await cli(["store", "get", "c", "k"])).stdout).toBe('"two"\n');
  });

  it("--if-absent writes a new key only", async () => {
    expect((await cli(["store", "put", "c", "fresh", "1", "--if-absent"])).code).toBe(0);
    const again = await cli(["store", "put", "c", "fresh", "2", "--if-absent"]);
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(
      /^wfstore: error CONFLICT: .*expected no live entry \(ifAbsent\), found version 1; nothing was written\n$/,
    );
    expect((await cli(["store", "get", "c", "fresh"])).stdout).toBe("1\n");
  });

  it("store delete --if-version deletes only the expected version", async () => {
    await cli(["store", "put", "c", "d", "1"]);
    await cli(["store", "put", "c", "d", "2"]);
    const stale = await cli(["store", "delete", "c", "d", "--if-version", "1"]);
    expect(stale.code).toBe(4);
    expect(stale.stderr).toContain("found version 2; nothing was written");
    expect((await cli(["store", "get", "c", "d"])).code).toBe(0);
    const ok = await cli(["store", "delete", "c", "d", "--if-version", "2", "--json"]);
    expect([ok.code, JSON.parse(ok.stdout)]).toEqual([0, { existed: true }]);
    expect((await cli(["store", "get", "c", "d"])).code).toBe(1);
  });

  it("refuses a bad --if-version, or both conditions, as invalid input (exit 2)", async () => {
    const bad = await cli(["store", "put", "c", "k", "1", "--if-version", "one"]);
    expect([bad.code, bad.stderr]).toEqual([
      2,
      'wfstore: error INVALID_ARGUMENT: invalid --if-version "one": expected an integer\n',
    ]);
    expect((await cli(["store", "put", "c", "k", "1", "--if-version", "0"])).code).toBe(2);
    const both = await cli(["store", "put", "c", "k", "1", "--if-version", "2", "--if-absent"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("contradict");
  });

  it("a provider without conditional writes refuses them with UNSUPPORTED (exit 3), writing nothing", async () => {
    const manifest = write(
      path.join(dir, "plain-commands.yaml"),
      `apiVersion: wfstore.dev/v1
kind: StoreBackendProvider
metadata: {name: plain}
spec:
  commands: {get: "true", put: "exit 9", delete: "true", list: "echo []"}
---
apiVersion: wfstore.dev/v1
kind: WorkflowStore
metadata: {name: on-plain}
spec: {provider: plain}
`,
    );
    const r = await cli(["-f", manifest, "store", "put", "on-plain", "k", "1", "--if-absent"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^wfstore: error UNSUPPORTED: .*conditional writes/);
  });
});

describe("output shows stored text, never obeys it (issue 13)", () => {
  it("escapes bidi and zero-width characters of keys and task ids in the table and messages", async () => {
    const key = "evil\u202etxt.exe\u200b";
    const put = await cli(["store", "put", "esc", key, '"x\u2028y"', "--task", "t\u202e"]);
    expect(put.code, put.stderr).toBe(0);
    expect(put.stdout).toContain('"evil\\u202etxt.exe\\u200b"');
    expect(put.stdout).toContain("(task t\\u202e)");
    const table = (await cli(["store", "list", "esc"])).stdout;
    expect(table).toContain("evil\\u202etxt.exe\\u200b");
    expect(table).toContain("t\\u202e");
    expect(table).toContain('"x\\u2028y"');
    expect(table).not.toMatch(/[\u202e\u200b\u2028]/);
    // JSON output is data: it keeps the characters, JSON-encoded as JSON allows.
    const json = JSON.parse((await cli(["store", "list", "esc", "--json"])).stdout);
    expect(json[0].key).toBe(key);
  });
});

describe("invalid UTF-8 is refused, never stored altered (issue 14 hole 2)", () => {
  it("a value on stdin with invalid bytes: INVALID_VALUE naming the byte offset, nothing written", async () => {
    const input = Buffer.concat([Buffer.from('{"name": "caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
    const r = await cli(["store", "put", "utf8", "k"], { input });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "wfstore: error INVALID_VALUE: invalid value on stdin: not valid UTF-8 (byte offset 13)\n",
    );
    expect((await cli(["store", "get", "utf8", "k"])).code).toBe(1);
  });

  it("U+FFFD in a key, task id or value on the command line is refused (it may stand for any invalid bytes)", async () => {
    const key = await cli(["store", "put", "utf8", "a\ufffdb", "1"]);
    expect([key.code, key.stderr]).toEqual([
      2,
      `wfstore: error INVALID_KEY: invalid key "a\\ufffdb": contains U+FFFD, which on a command line cannot be told apart from bytes that are not UTF-8: give the key as a JSON string with --key-json, e.g. --key-json '"a\\ufffdb"'\n`,
    ]);
    expect((await cli(["store", "put", "utf8", "k", "1", "--task", "t\ufffd"])).code).toBe(2);
    const value = await cli(["store", "put", "utf8", "k", '"caf\ufffd"']);
    expect(value.code).toBe(2);
    expect(value.stderr).toContain('write it as the JSON escape "\\ufffd"');
    // As JSON escapes, which a command line carries intact, they are taken.
    expect((await cli(["store", "put", "utf8", '"a\\ufffdb"', '"caf\\ufffd"', "--key-json"])).code).toBe(0);
    expect((await cli(["store", "get", "utf8", '"a\\ufffdb"', "--key-json"])).stdout).toBe('"caf\ufffd"\n');
    const notString = await cli(["store", "get", "utf8", "42", "--key-json"]);
    expect([notString.code, notString.stderr]).toEqual([
      2,
      `wfstore: error INVALID_KEY: invalid --key-json "42": expected a JSON string, like '"a\\u00e9"'\n`,
    ]);
  });
});
