import { describe, expect, it } from "vitest";
import { failure, managerWith, shellProvider } from "./helpers";

describe("options", () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ["neither commands nor process", { timeout_seconds: 1 }, /must match exactly one schema in oneOf/],
    [
      "both commands and process",
      { commands: { get: "x", put: "x", delete: "x", list: "x" }, process: "x" },
      /oneOf/,
    ],
    ["an unknown option", { process: "x", timeout: 3 }, /timeout/],
    ["an empty argv", { process: [] }, /options\.process: must NOT have fewer than 1 items/],
    ["a missing list command", { commands: { get: "x", put: "x", delete: "x" } }, /list/],
    ["a bad env name", { process: "x", env: ["A-B"] }, /options\.env\[0\]: must match pattern/],
    ["concurrency 0", { process: "x", concurrency: 0 }, /concurrency/],
  ];
  for (const [what, options, pattern] of cases) {
    it(`refuses ${what}`, async () => {
      const t = await managerWith(() => options);
      const error = await failure(t.manager.store("s").get("k"), "INVALID_MANIFEST");
      expect(error.message).toMatch(pattern);
    });
  }

  it("refuses the v1-only options for a process provider", async () => {
    const t = await managerWith(() => ({ process: "x", put_reads_stdin: true }));
    const error = await failure(t.manager.store("s").get("k"), "INVALID_ARGUMENT");
    expect(error.message).toMatch(/put_reads_stdin\) applies to commands \(protocol v1\) only/);
    const t2 = await managerWith(() => ({ process: "x", conditionalWrites: true }));
    const error2 = await failure(t2.manager.store("s").get("k"), "INVALID_ARGUMENT");
    expect(error2.message).toMatch(/a process provider announces conditional_writes in its handshake/);
  });

  it("the manifest's snake_case names arrive in camelCase; both spellings at once are refused", async () => {
    const t = await managerWith((dir) =>
      shellProvider(dir, "printf 1", { timeout_seconds: 5, max_output_bytes: 10 }),
    );
    expect(await t.manager.store("s").get("k")).toBe(1);
    const t2 = await managerWith((dir) =>
      shellProvider(dir, "true", { timeout_seconds: 5, timeoutSeconds: 5 }),
    );
    await failure(t2.manager.store("s").get("k"), "INVALID_ARGUMENT");
  });
});

describe("get output", () => {
  it("a seed provider's value may span lines; its entry has no timestamps and version 0 (unknown)", async () => {
    const t = await managerWith((dir) => shellProvider(dir, `printf '{\\n  "a": [\\n    1\\n  ]\\n}\\n'`));
    expect(await t.manager.store("s").getEntry("k")).toEqual({
      key: "k",
      value: { a: [1] },
      createdAt: "",
      updatedAt: "",
      taskId: "",
      version: 0,
    });
  });

  it("a metadata line before the value gives the whole entry", async () => {
    const meta = `{"updated_at":"2026-02-01T00:00:00Z","created_at":"2026-01-01T00:00:00.000Z","task_id":"t","version":7}`;
    const t = await managerWith((dir) => shellProvider(dir, `echo '${meta}'; echo '[1, 2]'`));
    expect(await t.manager.store("s").getEntry("k")).toEqual({
      key: "k",
      value: [1, 2],
      createdAt: "2026-01-01T00:00:00.000Z",
      updatedAt: "2026-02-01T00:00:00.000Z",
      taskId: "t",
      version: 7,
    });
  });

  it("a metadata line for another key, or a bad value after it, is a protocol error", async () => {
    const t = await managerWith((dir) =>
      shellProvider(dir, `echo '{"key":"other","updated_at":"2026-02-01T00:00:00.000Z"}'; echo 1`),
    );
    expect((await failure(t.manager.store("s").get("k"), "PROVIDER_PROTOCOL")).message).toMatch(
      /names key "other"/,
    );
    const t2 = await managerWith((dir) =>
      shellProvider(dir, `echo '{"updated_at":"2026-02-01T00:00:00.000Z"}'; echo '{nope'`),
    );
    expect((await failure(t2.manager.store("s").get("k"), "PROVIDER_PROTOCOL")).message).toMatch(
      /the value after the metadata line is not valid JSON; it starts with "\{nope/,
    );
  });

  it("TTL: core hides an expired entry of a provider that gives timestamps; NOT_BEFORE tells the provider", async () => {
    const meta = `{"updated_at":"2026-01-01T00:00:00.000Z"}`;
    const t = await managerWith(
      (dir) => shellProvider(dir, `echo "$NOT_BEFORE" > "$PWD/nb"; echo '${meta}'; echo 1`),
      [{ name: "short", retention: { ttlDays: 1 } }],
    );
    t.clock.set("2026-01-03T00:00:00.000Z");
    expect(await t.manager.store("short").get("k")).toBeUndefined();
  });
});
