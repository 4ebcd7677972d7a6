import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, BIN, EXAMPLES, tempDir, write } from "./helpers";

/**
 * What only the real process can show: its exit codes, the raw bytes of its command line, and the
 * modules it loads. Everything else is tested in-process (run()), which spawns nothing.
 */

const { dir, cleanup } = tempDir("wfstore-bin-");
let data: string;
beforeAll(() => {
  assertBuilt();
  data = path.join(dir, "data");
});
afterAll(cleanup);

/**
 * Runs the bin. Arguments given as Buffers reach it as those exact bytes: Node's spawn would re-encode
 * them as UTF-8, so they go through `sh` and printf, as bytes typed or pasted into a shell would.
 */
function bin(args: (string | Buffer)[], options: { input?: string | Buffer } = {}) {
  const script = args
    .map((a, i) =>
      typeof a === "string"
        ? `"$${i + 1}"`
        : `"$(printf '${[...a].map((b) => `\\${b.toString(8).padStart(3, "0")}`).join("")}')"`,
    )
    .join(" ");
  const r = spawnSync(
    "sh",
    [
      "-c",
      `exec "$0" "$WFSTORE_BIN" ${script}`,
      process.execPath,
      ...args.map((a) => (typeof a === "string" ? a : "")),
    ],
    {
      cwd: dir,
      env: { ...process.env, NODE_PATH: undefined, WFSTORE_DATA_DIR: data, WFSTORE_BIN: BIN },
      input: options.input ?? "",
      encoding: "utf8",
      timeout: 120_000,
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("exit codes of the real process", () => {
  it("0 ok, 1 absent, 2 invalid input, 3 provider failure, 4 conflict", () => {
    expect(bin(["store", "put", "codes", "k", "1"]).code).toBe(0);
    const absent = bin(["store", "get", "codes", "nope"]);
    expect([absent.code, absent.stdout, absent.stderr]).toEqual([1, "", ""]);
    expect(bin(["store", "put", "codes", "k", "{bad"]).code).toBe(2);
    const failing = write(
      path.join(dir, "failing.yaml"),
      "apiVersion: wfstore.dev/v1\nkind: StoreBackendProvider\nmetadata: {name: f}\nspec: {commands: {get: 'exit 7', put: 'true', delete: 'true', list: 'echo []'}}\n---\napiVersion: wfstore.dev/v1\nkind: WorkflowStore\nmetadata: {name: on-f}\nspec: {provider: f}\n",
    );
    expect(bin(["-f", failing, "store", "get", "on-f", "k"]).code).toBe(3);
    const conflict = bin(["store", "put", "codes", "k", "2", "--if-version", "7"]);
    expect(conflict.code).toBe(4);
    expect(conflict.stderr).toBe(
      'wfstore: error CONFLICT: store "codes": put of key "k": expected version 7, found version 1; nothing was written\n',
    );
  });
});

describe("invalid UTF-8 on the command line (issue 14 hole 2)", () => {
  const key = (byte: number) => Buffer.from([0x61, byte, 0x62]); // "a", an invalid byte, "b"

  it("refuses keys with invalid bytes, naming the byte offset: two such keys never collapse into one", () => {
    const first = bin(["store", "put", "bytes", key(0xff), '"first"']);
    expect(first.code).toBe(2);
    expect(first.stderr).toBe(
      "wfstore: error INVALID_KEY: invalid key on the command line: not valid UTF-8 (byte offset 1)\n",
    );
    const second = bin(["store", "put", "bytes", key(0xfe), '"second"']);
    expect(second.code).toBe(2);
    // Nothing was stored under the key both would have become ("a\ufffdb").
    expect(bin(["store", "list", "bytes", "--json"]).stdout).toBe("[]\n");
  });

  it("refuses a store name and a JSON value with invalid bytes, naming the byte offset", () => {
    const name = bin(["store", "get", Buffer.from([0x73, 0x74, 0xc3]), "k"]);
    expect(name.stderr).toBe(
      "wfstore: error INVALID_ARGUMENT: invalid store name on the command line: not valid UTF-8 (byte offset 2)\n",
    );
    const value = bin(["store", "put", "bytes", "k", Buffer.from('"caf\xe9"', "latin1")]);
    expect(value.stderr).toBe(
      "wfstore: error INVALID_VALUE: invalid value on the command line: not valid UTF-8 (byte offset 4)\n",
    );
    expect(value.code).toBe(2);
  });

  it("takes a key with a real U+FFFD when it is given as JSON (--key-json)", () => {
    const literal = bin(["store", "put", "bytes", "a\ufffdb", "1"]);
    expect(literal.code).toBe(2);
    expect(literal.stderr).toContain("--key-json");
    expect(bin(["store", "put", "bytes", '"a\\ufffdb"', "1", "--key-json"]).code).toBe(0);
    expect(bin(["store", "get", "bytes", '"a\\ufffdb"', "--key-json"]).stdout).toBe("1\n");
    expect(JSON.parse(bin(["store", "list", "bytes", "--json"]).stdout)[0].key).toBe("a\ufffdb");
  });
});

describe("a command loads only what it needs (issue 15)", () => {
  /** The modules a run loaded (all CommonJS: the bin, core, the backends, their dependencies). */
  function loaded(args: string[]): string[] {
    const out = path.join(dir, `modules-${Math.random().toString(36).slice(2)}.json`);
    const preload = write(
      path.join(dir, "record-modules.cjs"),
      `process.on("exit", () => require("node:fs").writeFileSync(process.env.MODULES_OUT, JSON.stringify(Object.keys(require.cache))));\n`,
    );
    const r = spawnSync(process.execPath, ["-r", preload, BIN, ...args], {
      cwd: dir,
      env: { ...process.env, NODE_PATH: undefined, WFSTORE_DATA_DIR: data, MODULES_OUT: out },
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(fs.readFileSync(out, "utf8")) as string[];
  }
  const uses = (files: string[], what: RegExp) => files.some((f) => what.test(f));
  const HEAVY = /\/(ajv|ajv-formats|yaml|re2js|pg|execa)\/|backend-(file|command|postgres)\//;

  it("store get and put on a local store load the local backend and nothing heavy, with large schemas applied elsewhere", () => {
    const big = write(
      path.join(dir, "big-schema.yaml"),
      `apiVersion: wfstore.dev/v1\nkind: WorkflowStore\nmetadata: {name: big}\nspec:\n  schema:\n    enum: [${Array.from({ length: 20_000 }, (_, i) => `v${i}`).join(", ")}]\n`,
    );
    expect(bin(["apply", "-f", big, "-f", EXAMPLES]).code).toBe(0);
    for (const args of [
      ["store", "put", "plain", "k", '{"a": 1}'],
      ["store", "get", "plain", "k"],
      ["store", "put", "journal", "k", "1"],
    ]) {
      const files = loaded(args);
      expect(uses(files, /backend-local\//), args.join(" ")).toBe(true);
      expect(
        files.filter((f) => HEAVY.test(f)),
        args.join(" "),
      ).toEqual([]);
    }
    // The detection works: a put on the store with a schema does load ajv, and only then.
    expect(uses(loaded(["store", "put", "big", "k", '"v7"']), /\/ajv\//)).toBe(true);
  });

  it("--help loads no backend and no YAML parser", () => {
    const files = loaded(["--help"]);
    expect(files.filter((f) => /backend-|\/yaml\/|\/ajv\//.test(f))).toEqual([]);
  });
});
