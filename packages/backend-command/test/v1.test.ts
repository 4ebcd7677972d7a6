import fs from "node:fs";
import path from "node:path";
import { HOSTILE_KEYS } from "@store/testkit";
import { describe, expect, it } from "vitest";
import { MAX_ENV_STRING_BYTES } from "../src/index";
import { eventually, failure, managerWith, processesWith, shellProvider } from "./helpers";
import { KV_SH, kvShOptions } from "./providers";

const json = (bytes: number) => "x".repeat(bytes - 2); // a JSON string value of exactly `bytes` bytes

describe("values and stdin", () => {
  it("a 2 MiB value round-trips through a provider that reads stdin", async () => {
    const t = await managerWith((dir) => kvShOptions(dir));
    const s = t.manager.store("big");
    const value = { blob: "v".repeat(2 * 1024 * 1024), tail: "end" };
    await s.put("k", value);
    expect(await s.get("k")).toEqual(value);
    expect((await s.list())[0]?.value).toEqual(value);
  });

  it("$VALUE carries values up to the environment limit; past it a $VALUE provider gets a clear error and nothing runs", async () => {
    // This provider only knows $VALUE: it never reads stdin.
    const t = await managerWith((dir) =>
      shellProvider(
        dir,
        `case $STORE_OP in put) printf '%s' "\${VALUE-}" > stored ;; get) cat stored ;; list) echo '[]' ;; esac`,
      ),
    );
    const s = t.manager.store("env");
    const fits = json(MAX_ENV_STRING_BYTES - "VALUE=".length - 1); // the largest that exec accepts
    await s.put("k", fits);
    expect(await s.get("k")).toBe(fits);
    const error = await failure(s.put("k", json(MAX_ENV_STRING_BYTES - "VALUE=".length)), "VALUE_TOO_LARGE");
    expect(error.message).toContain('put of key "k" in store "env"');
    expect(error.message).toMatch(
      /too large for the \$VALUE environment variable \(at most 131065 bytes\); nothing was run/,
    );
    expect(error.message).toMatch(/set put_reads_stdin: true/);
    expect(await s.get("k")).toBe(fits);
  });

  it("with put_reads_stdin, a provider that leaves a large value unread on stdin is caught", async () => {
    const t = await managerWith((dir) =>
      shellProvider(dir, `case $STORE_OP in put) printf '%s' "\${VALUE-}" > stored ;; esac`, {
        put_reads_stdin: true,
      }),
    );
    const error = await failure(t.manager.store("env").put("k", json(1024 * 1024)), "PROVIDER_PROTOCOL");
    expect(error.message).toMatch(
      /exited without reading its stdin \(the value, 1048576 bytes, is too large/,
    );
  });

  it("with put_reads_stdin, a provider that needs $VALUE says why it was missing", async () => {
    const t = await managerWith((dir) =>
      shellProvider(dir, `: "\${VALUE:?VALUE is not set}"`, { put_reads_stdin: true }),
    );
    const error = await failure(t.manager.store("env").put("k", json(200 * 1024)), "PROVIDER_FAILED");
    expect(error.message).toMatch(/VALUE is not set/);
    expect(error.message).toMatch(/passed on stdin only/);
  });
});

describe("data never enters a command line", () => {
  it("hostile keys reach the provider byte for byte and run nothing", async () => {
    const dirs: string[] = [];
    const t = await managerWith((dir) => {
      dirs.push(dir);
      // String commands: run by sh -c, the way a manifest's `get: ./kv.sh get` is.
      const op = (name: string) => `'${KV_SH}' ${name}`;
      return {
        commands: {
          get: op("get"),
          put: op("put"),
          delete: op("delete"),
          list: op("list"),
          prune: op("prune"),
        },
        working_dir: dir,
      };
    });
    const s = t.manager.store("hostile");
    const keys = [
      "$(touch pwned)",
      "`touch pwned`",
      ";touch pwned",
      "'; touch pwned; '",
      '"; touch pwned; "',
      "$(id)",
      "&& touch pwned",
      "| touch pwned",
    ];
    for (const key of keys) await s.put(key, { key, task: "$(touch pwned)" }, { taskId: "`touch pwned`" });
    for (const key of keys)
      expect(await s.getEntry(key)).toMatchObject({ key, value: { key }, taskId: "`touch pwned`" });
    expect(new Set((await s.list()).map((e) => e.key))).toEqual(new Set(keys));
    for (const key of keys) expect(await s.delete(key)).toBe(true);
    const everything = fs.readdirSync(dirs[0] as string, { recursive: true }).map(String);
    expect(everything.filter((f) => f.includes("pwned"))).toEqual([]);
    expect(fs.existsSync(path.join(process.cwd(), "pwned"))).toBe(false);
    expect(HOSTILE_KEYS).toContain("$(touch pwned)"); // the conformance suite also runs them all through kv.sh
  });
});

describe("timeouts", () => {
  it("a timeout kills the whole process group and raises PROVIDER_TIMEOUT", async () => {
    const marker = `${Math.floor(100 + Math.random() * 800)}.${process.pid}${Date.now() % 100000}`;
    const t = await managerWith((dir) =>
      shellProvider(dir, `sleep ${marker} & sleep ${marker}`, { timeout_seconds: 1 }),
    );
    const outcome = failure(t.manager.store("slow").get("k"), "PROVIDER_TIMEOUT");
    // sh and its two sleeps (all three command lines hold the marker).
    await eventually(() => processesWith(marker).length >= 3, 5000, "the provider and both sleeps to start");
    const error = await outcome;
    expect(error.message).toMatch(/did not finish within 1 s; its process group was killed/);
    await eventually(() => processesWith(marker).length === 0, 5000, "the process group to be gone");
  });
});

describe("output", () => {
  it("stdout is capped", async () => {
    const t = await managerWith((dir) => shellProvider(dir, "yes", { max_output_bytes: 4096 }));
    const error = await failure(t.manager.store("s").get("k"), "PROVIDER_PROTOCOL");
    expect(error.message).toMatch(/more than max_output_bytes \(4096\)/);
  });

  it("stderr is drained and only its tail goes into the error; stdout of a failed command is ignored", async () => {
    // 1 MiB of noise on stderr would block a provider whose stderr is not drained.
    const t = await managerWith((dir) =>
      shellProvider(
        dir,
        `head -c 1048576 /dev/zero | tr '\\0' n >&2; echo '"a value"'; echo 'the real reason' >&2; exit 3`,
      ),
    );
    const error = await failure(t.manager.store("s").get("k"), "PROVIDER_FAILED");
    expect(error.message).toMatch(/exited with code 3/);
    expect(error.message).toMatch(/the real reason$/);
    expect(error.message.length).toBeLessThan(4096 + 400);
    expect(error.details.exitCode).toBe(3);
  });

  it("invalid JSON from get is PROVIDER_PROTOCOL quoting its first bytes", async () => {
    const t = await managerWith((dir) => shellProvider(dir, `printf '{"oops": tru'`));
    const error = await failure(t.manager.store("s").get("k"), "PROVIDER_PROTOCOL");
    expect(error.message).toContain('the output of get is not valid JSON; it starts with "{\\"oops\\": tru"');
  });

  it("list must print an array of entries with a string key and updated_at", async () => {
    const cases: Array<[string, RegExp]> = [
      [`echo '{"key":"a"}'`, /list must print a JSON array; it printed "\{\\"key\\":\\"a\\"\}/],
      [`echo '[{"value":1,"updated_at":"2026-01-01T00:00:00.000Z"}]'`, /list entry 0 has no string "key"/],
      [`echo '[{"key":"a","value":1}]'`, /list entry 0: updated_at must be an RFC 3339 timestamp/],
      [
        `echo '[{"key":"a","value":1,"updated_at":"yesterday"}]'`,
        /updated_at must be an RFC 3339 timestamp, got "\\"yesterday\\""/,
      ],
      [
        `echo '[{"key":"a","updated_at":"2026-01-01T00:00:00.000Z"}]'`,
        /list entry 0 \(key "a"\) has no "value"/,
      ],
      [`echo 'garbage'`, /the output of list is not valid JSON; it starts with "garbage/],
      [`true`, /list printed nothing/],
    ];
    for (const [script, pattern] of cases) {
      const t = await managerWith((dir) => shellProvider(dir, script));
      const error = await failure(t.manager.store("s").list(), "PROVIDER_PROTOCOL");
      expect(error.message).toMatch(pattern);
    }
  });

  it("list results beyond LIMIT are trimmed, and seed-style entries get defaults", async () => {
    const entries = Array.from({ length: 5 }, (_, i) => ({
      key: `k${i}`,
      value: i,
      updated_at: "2026-01-01T00:00:00Z",
    }));
    const t = await managerWith((dir) => shellProvider(dir, `echo '${JSON.stringify(entries)}'`));
    const listed = await t.manager.store("s").list({ limit: 2 });
    expect(listed).toEqual([
      {
        key: "k0",
        value: 0,
        updatedAt: "2026-01-01T00:00:00.000Z",
        createdAt: "2026-01-01T00:00:00.000Z",
        taskId: "",
      },
      {
        key: "k1",
        value: 1,
        updatedAt: "2026-01-01T00:00:00.000Z",
        createdAt: "2026-01-01T00:00:00.000Z",
        taskId: "",
      },
    ]);
  });
});

describe("environment", () => {
  const dump = `node -e 'process.stdout.write(JSON.stringify(process.env))'`;

  it("has the protocol variables and a minimal host set; host secrets only when listed", async () => {
    process.env.MY_SECRET_TOKEN = "hunter2";
    process.env.MY_LISTED_VAR = "listed";
    try {
      const t = await managerWith((dir) => shellProvider(dir, dump, { env: ["MY_LISTED_VAR"] }));
      const env = (await t.manager.store("envs", { project: "p1" }).get("the key")) as Record<string, string>;
      expect(env.MY_SECRET_TOKEN).toBeUndefined();
      expect(env.MY_LISTED_VAR).toBe("listed");
      expect(env).toMatchObject({
        STORE_OP: "get",
        STORE_NAME: "envs",
        PROJECT_ID: "p1",
        KEY: "the key",
        PATH: process.env.PATH,
      });
      const allowed =
        /^(PATH|HOME|USER|LOGNAME|SHELL|TMPDIR|TZ|LANG|LANGUAGE|LC_\w+|MY_LISTED_VAR|STORE_OP|STORE_NAME|PROJECT_ID|KEY|NOT_BEFORE|PWD|SHLVL|_|OLDPWD)$/;
      // PWD, SHLVL and _ are set by sh itself.
      expect(Object.keys(env).filter((name) => !allowed.test(name))).toEqual([]);
    } finally {
      delete process.env.MY_SECRET_TOKEN;
      delete process.env.MY_LISTED_VAR;
    }
  });

  it("put gets KEY, VALUE, TASK_ID and core's UPDATED_AT; list LIMIT and OFFSET; prune MAX_ENTRIES, TTL_DAYS, OLDER_THAN", async () => {
    const t = await managerWith((dir) =>
      shellProvider(
        dir,
        `env | grep -E '^(KEY|VALUE|TASK_ID|UPDATED_AT|CREATED_AT|LIMIT|OFFSET|MAX_ENTRIES|TTL_DAYS|OLDER_THAN|STORE_OP)=' | sort > "$STORE_OP.env"; [ "$STORE_OP" = list ] && echo '[]'; exit 0`,
      ),
    );
    t.clock.set("2026-05-01T00:00:00.000Z");
    const s = t.manager.store("s");
    await s.put("k", { a: 1 }, { taskId: "t-1" });
    await s.list({ limit: 7, offset: 3 });
    await s.prune({ maxEntries: 4, ttlDays: 10 });
    await s.import([
      { key: "i", value: 2, createdAt: "2025-01-01T00:00:00.000Z", updatedAt: "2025-02-01T00:00:00.000Z" },
    ]);
    const read = (op: string) => fs.readFileSync(path.join(t.dataDir, `${op}.env`), "utf8");
    expect(read("list")).toBe("LIMIT=7\nOFFSET=3\nSTORE_OP=list\n");
    expect(read("prune")).toBe(
      "MAX_ENTRIES=4\nOLDER_THAN=2026-04-21T00:00:00.000Z\nSTORE_OP=prune\nTTL_DAYS=10\n",
    );
    expect(read("put")).toBe(
      "CREATED_AT=2025-01-01T00:00:00.000Z\nKEY=i\nSTORE_OP=put\nTASK_ID=\nUPDATED_AT=2025-02-01T00:00:00.000Z\nVALUE=2\n",
    );
  });
});

describe("failures", () => {
  it("a missing executable is named", async () => {
    const t = await managerWith((dir) => ({
      commands: { get: ["/nonexistent/bin/my-provider-xyz", "get"], put: "x", delete: "x", list: "x" },
      working_dir: dir,
    }));
    const error = await failure(t.manager.store("s").get("k"), "PROVIDER_FAILED");
    expect(error.message).toMatch(/executable "\/nonexistent\/bin\/my-provider-xyz" not found/);

    const t2 = await managerWith((dir) => shellProvider(dir, "./no-such-provider-abc get"));
    const error2 = await failure(t2.manager.store("s").get("k"), "PROVIDER_FAILED");
    expect(error2.message).toMatch(/exited with code 127 \(the shell could not find a program it runs\)/);
    expect(error2.message).toMatch(/no-such-provider-abc: not found/);
  });

  it("a missing working directory is named", async () => {
    const t = await managerWith((dir) => shellProvider(path.join(dir, "nope"), "true"));
    const error = await failure(t.manager.store("s").get("k"), "PROVIDER_FAILED");
    expect(error.message).toMatch(/the working directory .*nope does not exist/);
  });

  it("a provider without prune gives UNSUPPORTED (also for retention after a put)", async () => {
    const t = await managerWith(
      (dir) => {
        const o = kvShOptions(dir);
        delete (o.commands as { prune?: unknown }).prune;
        return o;
      },
      [{ name: "capped", retention: { maxEntries: 2 } }],
    );
    const error = await failure(t.manager.store("s").prune({ maxEntries: 1 }), "UNSUPPORTED");
    expect(error.message).toMatch(/has no prune command/);
    await failure(t.manager.store("capped").put("k", 1), "UNSUPPORTED");
  });

  it("delete that prints nothing reports true; prune that prints nothing reports 0 (seed providers)", async () => {
    const t = await managerWith((dir) => shellProvider(dir, "true"));
    expect(await t.manager.store("s").delete("k")).toBe(true);
    expect(await t.manager.store("s").prune({ maxEntries: 1 })).toBe(0);
  });
});

describe("concurrency", () => {
  it("200 parallel ops never run more than `concurrency` children at once", async () => {
    const t = await managerWith((dir) =>
      shellProvider(dir, `echo "+ $$" >> "$PWD/ops.log"; sleep 0.02; echo "- $$" >> "$PWD/ops.log"`, {
        concurrency: 4,
      }),
    );
    const s = t.manager.store("s");
    await Promise.all(Array.from({ length: 200 }, (_, i) => s.get(`k${i}`)));
    const lines = fs.readFileSync(path.join(t.dataDir, "ops.log"), "utf8").trim().split("\n");
    expect(lines).toHaveLength(400);
    let live = 0;
    let peak = 0;
    for (const line of lines) {
      live += line.startsWith("+") ? 1 : -1;
      peak = Math.max(peak, live);
    }
    expect(peak).toBeLessThanOrEqual(4);
    expect(peak).toBeGreaterThan(1); // bounded, not serialised
  });
});

describe("cursor emulation", () => {
  it("pages stay exact when the store changes before the cursor", async () => {
    const t = await managerWith((dir) => kvShOptions(dir));
    const s = t.manager.store("s");
    for (let i = 0; i < 30; i++) {
      await s.put(`k${String(i).padStart(2, "0")}`, i);
      t.clock.advance(1);
    }
    const first = await s.listPage({ limit: 10 });
    expect(first.entries.map((e) => e.key)).toEqual(Array.from({ length: 10 }, (_, i) => `k${29 - i}`));
    await s.delete("k25"); // shifts every later offset by one
    const second = await s.listPage({ limit: 10, cursor: first.nextCursor });
    expect(second.entries.map((e) => e.key)).toEqual(Array.from({ length: 10 }, (_, i) => `k${19 - i}`));
    await s.delete("k20");
    t.clock.advance(5);
    await s.put("k21", "moved to the front");
    const third = await s.listPage({ limit: 10, cursor: second.nextCursor });
    expect(third.entries.map((e) => e.key)).toEqual(
      Array.from({ length: 10 }, (_, i) => `k${String(9 - i).padStart(2, "0")}`),
    );
    expect(third.nextCursor).toBeDefined();
    expect((await s.listPage({ limit: 10, cursor: third.nextCursor })).entries).toEqual([]);
  });
});
