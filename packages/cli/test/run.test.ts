import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT, run } from "../src/index";
import { tempDir } from "./helpers";

/** `run(argv, io)` in-process: the same CLI, for wrappers and tools that embed it. */
const { dir, cleanup } = tempDir();
afterAll(cleanup);

async function call(argv: string[], stdinText?: string) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d) => {
    out += d;
  });
  stderr.on("data", (d) => {
    err += d;
  });
  const stdin = new PassThrough();
  stdin.end(stdinText ?? "");
  const code = await run(argv, { stdin, stdout, stderr, cwd: dir, env: { WFSTORE_DATA_DIR: "data" } });
  return { code, out, err };
}

describe("run(argv, io)", () => {
  it("runs commands against the given io, cwd and env, resolving the exit code", async () => {
    expect(await call(["store", "put", "s", "k"], '{"a": 1}')).toMatchObject({ code: EXIT.OK, err: "" });
    expect(await call(["store", "get", "s", "k"])).toEqual({ code: EXIT.OK, out: '{"a":1}\n', err: "" });
    expect(await call(["store", "get", "s", "absent"])).toEqual({ code: EXIT.ABSENT, out: "", err: "" });
    const imported = await call(["store", "import", "s", "--json"], '{"key":"x","value":[1]}\n');
    expect(imported).toEqual({ code: EXIT.OK, out: '{"imported":1}\n', err: "" });
  });

  it("reports errors on io.stderr and never throws", async () => {
    const r = await call(["store", "put", "s", "k", "{bad"]);
    expect(r.code).toBe(EXIT.INVALID_INPUT);
    expect(r.err).toMatch(/^wfstore: error INVALID_VALUE: /);
    expect((await call(["nope"])).code).toBe(EXIT.INVALID_INPUT);
  });

  it("can run many times in one process (no option leaks between calls)", async () => {
    expect((await call(["store", "list", "s", "--json"])).out).toMatch(/^\[/);
    expect((await call(["store", "list", "s"])).out).toMatch(/^KEY/);
  });
});
