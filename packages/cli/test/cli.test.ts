import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, BIN, boundCli, inProcess, tempDir, wfstore } from "./helpers";

beforeAll(assertBuilt);

describe("the bin", () => {
  it("is an executable CommonJS file with a node shebang (loads faster than ES modules)", () => {
    const text = fs.readFileSync(BIN, "utf8");
    expect(BIN.endsWith(".cjs")).toBe(true);
    expect(text.startsWith("#!/usr/bin/env node\n")).toBe(true);
    expect(text).toMatch(/require\(.@store\/core.\)/);
    expect(fs.statSync(BIN).mode & 0o111).not.toBe(0);
  });

  it("prints the version of its package.json", async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(path.dirname(BIN), "..", "package.json"), "utf8"));
    const r = await wfstore(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });
});

describe("help", () => {
  it("lists every command, the global options, examples and the exit codes", async () => {
    const r = await inProcess(["--help"]);
    expect(r.code).toBe(0);
    for (const word of [
      "apply",
      "validate",
      "get",
      "delete",
      "store",
      "--data-dir",
      "--filename",
      "--project",
      "--json",
      "--verbose",
    ]) {
      expect(r.stdout).toContain(word);
    }
    expect(r.stdout).toContain("Examples:");
    expect(r.stdout).toContain("Exit codes: 0 ok, 1 store get of an absent key, 2 invalid input, 3 backend");
    expect(r.stdout).toContain("4 a condition (--if-version, --if-absent) did not hold");
    expect(r.stderr).toBe("");
  });

  const commands = [
    ["apply"],
    ["validate"],
    ["get"],
    ["delete"],
    ["store"],
    ["store", "get"],
    ["store", "put"],
    ["store", "delete"],
    ["store", "list"],
    ["store", "prune"],
    ["store", "export"],
    ["store", "import"],
    ["migrations"],
    ["migrations", "print"],
  ];
  it.each(commands.map((c) => [c.join(" "), c] as const))(
    "%s --help has a usage line and an example",
    async (name, command) => {
      const r = await inProcess([...command, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: wfstore ${name}`);
      expect(r.stdout).toMatch(/Examples:\n {2}\$ wfstore /);
      expect(r.stdout).toContain("Global Options:");
    },
  );
});

describe("usage errors exit 2 with one line and a suggestion", () => {
  const { dir, cleanup } = tempDir();
  afterAll(cleanup);
  const cli = boundCli(dir);

  it("suggests the nearest command", async () => {
    const r = await cli(["stor", "list", "x"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      "wfstore: error USAGE: unknown command 'stor' (did you mean store?) (see `wfstore --help`)\n",
    );
  });

  it("suggests the nearest subcommand", async () => {
    const r = await cli(["store", "lst", "x"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'lst' (did you mean list?)");
    expect(r.stderr).toContain("see `wfstore store --help`");
  });

  it("suggests the nearest option", async () => {
    const r = await cli(["store", "put", "s", "k", "1", "--tsk", "t1"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("wfstore: error USAGE: unknown option '--tsk' (did you mean --task?)");
  });

  it("suggests the nearest global option", async () => {
    const r = await cli(["--jsno", "store", "list", "s"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("(did you mean --json?)");
  });

  it("names a missing argument", async () => {
    const r = await cli(["store", "get", "metrics"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "wfstore: error USAGE: missing required argument 'key' (see `wfstore store get --help`)\n",
    );
  });

  it("prints help on stderr for a command group without its subcommand", async () => {
    const r = await cli(["store"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("Usage: wfstore store");
  });

  it("suggests the resource type for get and delete", async () => {
    const r = await cli(["get", "workflowstors"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown resource type "workflowstors"');
    expect(r.stderr).toContain("(did you mean workflowstores?)");
  });

  it("rejects a non-integer --limit", async () => {
    const r = await cli(["store", "list", "s", "--limit", "ten"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('wfstore: error INVALID_ARGUMENT: invalid --limit "ten": expected an integer\n');
  });

  it("rejects an out-of-range --limit with core's message", async () => {
    const r = await cli(["store", "list", "s", "--limit", "5000"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "wfstore: error INVALID_ARGUMENT: invalid limit 5000: expected an integer from 1 to 1000",
    );
  });

  it("rejects an invalid store name before touching any backend", async () => {
    const r = await cli(["store", "get", "../etc", "k"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^wfstore: error INVALID_ARGUMENT: invalid store name "\.\.\/etc"/);
    expect(fs.existsSync(path.join(dir, "store.sqlite"))).toBe(false);
  });

  it("rejects an invalid project id", async () => {
    const r = await cli(["--project", "a b", "store", "get", "s", "k"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^wfstore: error INVALID_ARGUMENT: invalid project id "a b"/);
  });
});

describe("the data directory", () => {
  it("is --data-dir, else $WFSTORE_DATA_DIR, else ./.wfstore", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const env = { WFSTORE_DATA_DIR: path.join(dir, "from-env") };
      await inProcess(["--data-dir", "from-flag", "store", "put", "s", "k", "1"], { cwd: dir, env });
      await inProcess(["store", "put", "s", "k", "2"], { cwd: dir, env });
      await inProcess(["store", "put", "s", "k", "3"], { cwd: dir });
      expect(
        (await inProcess(["--data-dir", "from-flag", "store", "get", "s", "k"], { cwd: dir, env })).stdout,
      ).toBe("1\n");
      expect((await inProcess(["store", "get", "s", "k"], { cwd: dir, env })).stdout).toBe("2\n");
      expect((await inProcess(["store", "get", "s", "k"], { cwd: dir })).stdout).toBe("3\n");
      expect(fs.existsSync(path.join(dir, "from-flag"))).toBe(true);
      expect(fs.existsSync(path.join(dir, "from-env"))).toBe(true);
      expect(fs.existsSync(path.join(dir, ".wfstore"))).toBe(true);
    } finally {
      cleanup();
    }
  });

  it("accepts global options after the command too", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const put = await inProcess(
        ["store", "put", "s", "k", "[1,2]", "--data-dir", dir, "--project", "p1", "--json"],
        { cwd: dir },
      );
      expect(put.code).toBe(0);
      expect(JSON.parse(put.stdout)).toMatchObject({ key: "k", task_id: "", version: 1 });
      expect((await inProcess(["--data-dir", dir, "--project", "p1", "store", "get", "s", "k"])).stdout).toBe(
        "[1,2]\n",
      );
      expect((await inProcess(["--data-dir", dir, "store", "get", "s", "k"])).code).toBe(1);
    } finally {
      cleanup();
    }
  });
});
