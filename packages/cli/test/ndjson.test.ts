import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { assertBuilt, BIN, boundBin, boundCli, EXAMPLES, tempDir, write } from "./helpers";

const { dir, cleanup } = tempDir();
afterAll(cleanup);
const data = path.join(dir, "data");
const cli = boundCli(data, dir);

/** One NDJSON line with every field, in the order export writes them. */
const line = (key: string, value: unknown, updatedAt: string, extra: Record<string, unknown> = {}) =>
  `${JSON.stringify({ key, value, version: 1, updated_at: updatedAt, created_at: "2019-06-01T00:00:00.000Z", task_id: `task-${key}`, ...extra })}\n`;

describe("store export / import", () => {
  it("round-trips entries with their timestamps and task ids", async () => {
    const input =
      line("a", { n: 1 }, "2020-01-01T00:00:00.000Z") +
      "\n" + // blank lines are skipped
      line("b", [1, "two", null], "2021-01-01T00:00:00.000Z") +
      line("c/d é", null, "2021-01-01T00:00:00.000Z");
    const imported = await cli(["store", "import", "src"], { input });
    expect(imported.code).toBe(0);
    expect(imported.stdout).toBe('imported 3 entries into store "src"\n');
    expect(imported.stderr).toBe(""); // no progress bar when stderr is not a terminal

    const exported = await cli(["store", "export", "src"]);
    expect(exported.code).toBe(0);
    expect(exported.stderr).toBe("");
    const lines = exported.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    // Newest first, ties by key; every field kept, and each entry has its version.
    expect(lines).toEqual([
      {
        key: "b",
        value: [1, "two", null],
        version: 1,
        updated_at: "2021-01-01T00:00:00.000Z",
        created_at: "2019-06-01T00:00:00.000Z",
        task_id: "task-b",
      },
      {
        key: "c/d é",
        value: null,
        version: 1,
        updated_at: "2021-01-01T00:00:00.000Z",
        created_at: "2019-06-01T00:00:00.000Z",
        task_id: "task-c/d é",
      },
      {
        key: "a",
        value: { n: 1 },
        version: 1,
        updated_at: "2020-01-01T00:00:00.000Z",
        created_at: "2019-06-01T00:00:00.000Z",
        task_id: "task-a",
      },
    ]);
    expect(Object.keys(lines[0])).toEqual(["key", "value", "version", "updated_at", "created_at", "task_id"]);

    // Export → import into another store gives the same export.
    expect((await cli(["store", "import", "copy"], { input: exported.stdout })).code).toBe(0);
    expect((await cli(["store", "export", "copy"])).stdout).toBe(exported.stdout);
  });

  it("imports from a FILE argument and --json reports the count", async () => {
    const file = write(path.join(dir, "in.ndjson"), line("x", 1, "2022-01-01T00:00:00.000Z"));
    const r = await cli(["store", "import", "from-file", file, "--json"]);
    expect(JSON.parse(r.stdout)).toEqual({ imported: 1 });
  });

  it("fills timestamps and task_id when a line has only key and value", async () => {
    const imported = await cli(["store", "import", "minimal"], { input: '{"key":"k","value":"v"}\r\n' });
    expect(imported.code, imported.stderr).toBe(0);
    const r = await cli(["store", "get", "minimal", "k", "--entry"]);
    expect(r.code, r.stderr).toBe(0);
    const entry = JSON.parse(r.stdout);
    expect(entry.value).toBe("v");
    expect(entry.task_id).toBe("");
    expect(entry.created_at).toBe(entry.updated_at);
  });

  it("moves a store from local (SQLite) to the file provider", async () => {
    const moveData = path.join(dir, "move");
    const move = boundCli(moveData, dir);
    expect((await move(["apply", "-f", EXAMPLES])).code).toBe(0);
    for (let i = 0; i < 5; i++) {
      const put = await move([
        "store",
        "put",
        "metrics",
        `run-${i}`,
        JSON.stringify({ test_count: i, duration_ms: i * 10 }),
        "--task",
        `bench-${i}`,
      ]);
      expect(put.code).toBe(0);
    }
    const before = await move(["store", "export", "metrics"]);
    expect(before.stdout.trimEnd().split("\n")).toHaveLength(5);
    const dump = write(path.join(dir, "metrics.ndjson"), before.stdout);
    expect((await move(["apply", "-f", path.join(EXAMPLES, "move-to-file")])).stdout).toBe(
      "workflowstore/metrics configured\n",
    );
    expect(JSON.parse((await move(["get", "ws", "metrics", "--json"])).stdout).provider).toBe("file");
    // On the file provider the store starts empty…
    expect((await move(["store", "get", "metrics", "run-0"])).code).toBe(1);
    expect((await move(["store", "import", "metrics"], { stdinFile: dump })).code).toBe(0);
    // …and after the import it holds the same entries, timestamps and task ids.
    expect((await move(["store", "export", "metrics"])).stdout).toBe(before.stdout);
    expect(fs.existsSync(path.join(moveData, "stores", "metrics"))).toBe(true);
  });

  it("checks every line against the store's schema", async () => {
    const moveData = path.join(dir, "schema");
    const c = boundCli(moveData, dir);
    await c(["apply", "-f", path.join(EXAMPLES, "stores.yaml")]);
    const r = await c(["store", "import", "metrics"], {
      input:
        line("ok", { test_count: 1, duration_ms: 1 }, "2020-01-01T00:00:00.000Z") +
        line("bad", { test_count: "x" }, "2020-01-01T00:00:00.000Z"),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^wfstore: error SCHEMA_VIOLATION: line 2: value for key "bad" does not match the schema of store "metrics"/,
    );
  });
});

describe("versions (issue 11)", () => {
  it("export carries each entry's version and import keeps it", async () => {
    for (let i = 0; i < 3; i++) await cli(["store", "put", "ver", "k", String(i)]);
    await cli(["store", "put", "ver", "other", "1"]);
    const exported = await cli(["store", "export", "ver"]);
    const byKey = Object.fromEntries(
      exported.stdout
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l))
        .map((e) => [e.key, e.version]),
    );
    expect(byKey).toEqual({ k: 3, other: 1 });
    expect((await cli(["store", "import", "ver-copy"], { input: exported.stdout })).code).toBe(0);
    expect((await cli(["store", "export", "ver-copy"])).stdout).toBe(exported.stdout);
    // A stale writer holding version 2 loses after the restore too.
    expect((await cli(["store", "put", "ver-copy", "k", '"late"', "--if-version", "2"])).code).toBe(4);
  });

  it("refuses a bad version on a line, naming the line", async () => {
    const r = await cli(["store", "import", "ver-bad"], {
      input: '{"key":"a","value":1}\n{"key":"b","value":1,"version":0}\n',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^wfstore: error INVALID_ARGUMENT: line 2: invalid version 0/);
  });
});

describe("invalid UTF-8 and endless lines on import (issue 14 holes 2 and 3)", () => {
  it("refuses a line with invalid UTF-8, naming the line and the byte offset, and stores nothing altered", async () => {
    const input = Buffer.concat([
      Buffer.from('{"key":"good","value":"ok"}\n{"key":"bad","value":"caf'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}\n'),
    ]);
    const r = await cli(["store", "import", "utf8"], { input });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("wfstore: error INVALID_VALUE: invalid line 2: not valid UTF-8 (byte offset 25)\n");
    expect((await cli(["store", "get", "utf8", "bad"])).code).toBe(1);
  });

  it("refuses a line longer than any entry can be before holding it (store import s /dev/zero)", async () => {
    const r = await cli(["store", "import", "endless", "/dev/zero"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^wfstore: error VALUE_TOO_LARGE: line 1: longer than 67108864 bytes/);
  }, 120_000);
});

describe("import from a shell pipeline", () => {
  it("reads `cat file | wfstore store import` (a real FIFO on stdin, as a user's shell makes it)", () => {
    assertBuilt();
    // Regression: with a FIFO on stdin, backends imported after stdin was opened were resolved through
    // unresolved symlinks and crashed with "Cannot find module" instead of importing.
    const file = write(
      path.join(dir, "piped.ndjson"),
      line("piped", { ok: true }, "2022-01-01T00:00:00.000Z"),
    );
    // Without NODE_PATH: pnpm sets it to its hoisted store when running tests, which hid the bug.
    const { NODE_PATH: _hidden, ...env } = process.env;
    const run = (cmd: string) =>
      spawnSync("sh", ["-c", cmd], { cwd: dir, env: { ...env, WFSTORE_DATA_DIR: data }, encoding: "utf8" });
    const imported = run(`cat '${file}' | '${process.execPath}' '${BIN}' store import piped`);
    expect(imported.stderr).toBe("");
    expect([imported.status, imported.stdout]).toEqual([0, 'imported 1 entry into store "piped"\n']);
    const got = run(`'${process.execPath}' '${BIN}' store get piped piped`);
    expect([got.status, got.stdout]).toEqual([0, '{"ok":true}\n']);
    // Manifests from a pipe too: `-f /dev/stdin` stats a FIFO before the backends load.
    const manifest = write(
      path.join(dir, "piped.yaml"),
      "apiVersion: wfstore.dev/v1\nkind: WorkflowStore\nmetadata: { name: piped }\nspec: { retention: { max_entries: 9 } }\n",
    );
    const viaStdin = run(
      `cat '${manifest}' | '${process.execPath}' '${BIN}' -f /dev/stdin store get piped piped`,
    );
    expect(viaStdin.stderr).toBe("");
    expect([viaStdin.status, viaStdin.stdout]).toEqual([0, '{"ok":true}\n']);
  });
});

describe("bad import lines exit 2 naming the line", () => {
  const cases: [string, string, RegExp][] = [
    [
      "not JSON",
      `${line("a", 1, "2020-01-01T00:00:00.000Z")}\n{"key": "b", "value": }\n`,
      /^wfstore: error INVALID_VALUE: line 3: not JSON \(.*\): "\{\\"key\\": \\"b\\", \\"value\\": \}"$/,
    ],
    [
      "not an object",
      "[1, 2]\n",
      /^wfstore: error INVALID_ARGUMENT: line 1: expected an object \{key, value, version, updated_at, created_at, task_id\}$/,
    ],
    [
      "an unknown field",
      '{"key": "a", "value": 1, "updatedAt": "2020-01-01T00:00:00Z"}\n',
      /^wfstore: error INVALID_ARGUMENT: line 1: unknown field "updatedAt"/,
    ],
    ["no value", '{"key": "a"}\n', /^wfstore: error INVALID_ARGUMENT: line 1: missing "value"$/],
    [
      "an invalid key",
      `${line("ok", 1, "2020-01-01T00:00:00.000Z")}{"key": "", "value": 1}\n`,
      /^wfstore: error INVALID_KEY: line 2: invalid key: the key is empty$/,
    ],
    [
      "a bad timestamp",
      '{"key": "a", "value": 1, "updated_at": "yesterday"}\n',
      /^wfstore: error INVALID_ARGUMENT: line 1: invalid updated_at "yesterday": expected an RFC 3339 timestamp such as 2026-11-26T08:40:00.123Z$/,
    ],
  ];
  it.each(cases)("%s", async (_name, input, expected) => {
    const r = await cli(["store", "import", "bad"], { input });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trimEnd()).toMatch(expected);
  });
});

describe("streaming", () => {
  it("stops quietly, exit 0, when the reader goes away (| head)", () => {
    assertBuilt();
    const input = Array.from({ length: 20_000 }, (_, i) =>
      line(`k${i}`, { i, pad: "p".repeat(100) }, "2020-01-01T00:00:00.000Z"),
    ).join("");
    const file = write(path.join(dir, "20k.ndjson"), input);
    expect(
      spawnSync(process.execPath, [BIN, "store", "import", "pipe", file], {
        env: { ...process.env, WFSTORE_DATA_DIR: data },
      }).status,
    ).toBe(0);
    const r = spawnSync(
      "bash",
      [
        "-c",
        `"${process.execPath}" "${BIN}" store export pipe | head -n 2 >/dev/null; echo "\${PIPESTATUS[0]}"`,
      ],
      {
        env: { ...process.env, WFSTORE_DATA_DIR: data },
        encoding: "utf8",
      },
    );
    expect(r.stdout.trim()).toBe("0");
    expect(r.stderr).toBe("");
  });

  it("moves 50k entries (37 MB) through import and export with a 32 MB heap: bounded memory", async () => {
    // Holding these entries would take ~86 MB of heap; the CLI runs with V8's old space capped at
    // 32 MB, so it can only succeed by streaming (an unbounded import or export dies of OOM).
    const count = 50_000;
    const pad = "v".repeat(600);
    const big = path.join(dir, "big.ndjson");
    const fd = fs.openSync(big, "w");
    let chunk = "";
    for (let i = 0; i < count; i++) {
      chunk += line(
        `key-${String(i).padStart(6, "0")}`,
        { i, pad },
        new Date(Date.UTC(2020, 0, 1) + i * 1000).toISOString(),
      );
      if (chunk.length > 1 << 20) {
        fs.writeSync(fd, chunk);
        chunk = "";
      }
    }
    fs.writeSync(fd, chunk);
    fs.closeSync(fd);
    expect(fs.statSync(big).size).toBeGreaterThan(35 * 1024 * 1024);

    const c = boundBin(path.join(dir, "mem"), dir);
    const env = { NODE_OPTIONS: "--max-old-space-size=32" };
    const imported = await c(["store", "import", "big"], { stdinFile: big, env, measureRss: true });
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toBe('imported 50,000 entries into store "big"\n');

    const out = path.join(dir, "big-export.ndjson");
    const exported = await c(["store", "export", "big"], { stdoutFile: out, env, measureRss: true });
    expect(exported.code, exported.stderr).toBe(0);

    // Every line back, newest first, byte for byte what was imported (in reverse order).
    const lines = fs.readFileSync(out, "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(count);
    const original = fs.readFileSync(big, "utf8").trimEnd().split("\n");
    expect(lines[0]).toBe(original[count - 1]);
    expect(lines[count - 1]).toBe(original[0]);
    expect(lines.reverse()).toEqual(original);
    if (imported.peakRss && exported.peakRss) {
      const mb = (n: number) => Math.round(n / 1024 / 1024);
      console.log(
        `peak RSS with 50k entries: import ${mb(imported.peakRss)} MB, export ${mb(exported.peakRss)} MB`,
      );
    }
  }, 120_000);
});
