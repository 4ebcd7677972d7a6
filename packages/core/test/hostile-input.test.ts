import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { memoryBackend } from "@store/testkit";
import { describe, expect, it } from "vitest";
import { loadManifests, StoreError, StoreManager } from "../src/index";
import { normalizeTimestamp } from "../src/time";
import { decodeUtf8 } from "../src/utf8";
import { serializeValue } from "../src/validate";

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (StoreError.isInstance(e)) return `${e.code}: ${e.message}`;
    throw e;
  }
  return "ok";
}

const store = (schema: string) =>
  `apiVersion: wfstore.dev/v1\nkind: WorkflowStore\nmetadata: { name: s }\nspec:\n  provider: memory\n  schema: ${schema}\n`;

describe("values that serialization would silently change are refused", () => {
  it("arrays with named properties, Array subclasses, holes, non-enumerable properties, accessors", () => {
    expect(failure(() => serializeValue({ list: Object.assign([1, 2], { extra: true }) }))).toBe(
      "INVALID_VALUE: invalid value at value.list: array has named properties or holes (they would be lost)",
    );
    class Tagged extends Array {}
    expect(failure(() => serializeValue(Tagged.from([1])))).toBe(
      "INVALID_VALUE: invalid value at value: Tagged subclass is not plain JSON",
    );
    const hidden = { shown: 1 };
    Object.defineProperty(hidden, "secret", { value: 2, enumerable: false });
    expect(failure(() => serializeValue(hidden))).toBe(
      "INVALID_VALUE: invalid value at value.secret: non-enumerable property would be lost",
    );
    let reads = 0;
    const shifty = {
      get n() {
        return reads++;
      },
    };
    expect(failure(() => serializeValue({ shifty }))).toBe(
      "INVALID_VALUE: invalid value at value.shifty.n: accessor (getter/setter) is not plain JSON: store its value instead",
    );
    expect(reads).toBe(0);
  });
});

describe("timestamps on import", () => {
  it("refuses impossible dates instead of rolling them over", () => {
    expect(failure(() => normalizeTimestamp("2026-02-30T00:00:00.000Z", "updated_at"))).toBe(
      'INVALID_ARGUMENT: invalid updated_at "2026-02-30T00:00:00.000Z": expected an RFC 3339 timestamp such as 2026-11-26T08:40:00.123Z',
    );
    expect(failure(() => normalizeTimestamp("2026-02-30T00:00:00.5+00:00", "updated_at"))).toMatch(
      /^INVALID_ARGUMENT/,
    );
    expect(failure(() => normalizeTimestamp("2026-01-01T24:00:00Z", "updated_at"))).toMatch(
      /^INVALID_ARGUMENT/,
    );
    expect(normalizeTimestamp("2024-02-29T23:30:00.25-01:00", "t")).toBe("2024-03-01T00:30:00.250Z");
  });
});

describe("manifest input", () => {
  it("an endless input is refused with a size error instead of exhausting memory", () => {
    expect(failure(() => loadManifests({ paths: ["/dev/zero"] }))).toBe(
      "INVALID_MANIFEST: invalid manifest:\n  /dev/zero: larger than 16777216 bytes: not a manifest",
    );
  });

  it("invalid UTF-8 is refused with its byte offset, never replaced by U+FFFD", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wfstore-utf8-"));
    const file = path.join(dir, "bad.yaml");
    fs.writeFileSync(
      file,
      Buffer.concat([Buffer.from("metadata: { name: caf"), Buffer.from([0xc3, 0x28]), Buffer.from(" }\n")]),
    );
    expect(failure(() => loadManifests({ paths: [file] }))).toBe(
      `INVALID_MANIFEST: invalid manifest:\n  ${file}: not valid UTF-8 (byte offset 21)`,
    );
    expect(failure(() => decodeUtf8(Buffer.from([0x61, 0xed, 0xa0, 0x80]), "value"))).toBe(
      "INVALID_VALUE: invalid value: not valid UTF-8 (byte offset 1)",
    );
    expect(decodeUtf8(Buffer.from("ok 😀"), "value")).toBe("ok 😀");
  });
});

describe("store schemas", () => {
  it("a schema nested too deep is an INVALID_MANIFEST naming the place, not a crash", () => {
    let deep = "{ type: string }";
    for (let i = 0; i < 1200; i++) deep = `{ items: ${deep} }`;
    const message = failure(() => loadManifests({ text: store(deep), file: "m.yaml" }));
    expect(message).toMatch(
      /^INVALID_MANIFEST: invalid manifest:\n {2}m\.yaml:6:\d+: nested too deeply to read/,
    );
    expect(message).not.toMatch(/RangeError|call stack/);
    let fine = "{ type: string }";
    for (let i = 0; i < 30; i++) fine = `{ items: ${fine} }`;
    expect(loadManifests({ text: store(fine) }).stores).toHaveLength(1);
    let tooDeep = "{ type: string }";
    for (let i = 0; i < 70; i++) tooDeep = `{ items: ${tooDeep} }`;
    expect(failure(() => loadManifests({ text: store(tooDeep), file: "m.yaml" }))).toMatch(
      /spec\.schema\.items(\.items)+: invalid JSON Schema: the schema is nested more than 64 levels deep here/,
    );
  });

  it("a standard recursive schema ($ref to the root, no $id) is accepted and works", async () => {
    const resources = loadManifests({ text: store("{ type: array, items: { $ref: '#' } }") });
    const m = new StoreManager({ resources, backends: [memoryBackend], defaultProvider: "memory" });
    await m.store("s").put("ok", [[[]], []]);
    expect(failure(() => undefined)).toBe("ok");
    const error = await m
      .store("s")
      .put("bad", [[1]])
      .catch((e: unknown) => e);
    expect(StoreError.isInstance(error, "SCHEMA_VIOLATION")).toBe(true);
    await m.close();
  });

  it("an unknown format is a manifest error instead of a silent no-op", () => {
    expect(
      failure(() => loadManifests({ text: store("{ type: string, format: emial }"), file: "m.yaml" })),
    ).toMatch(
      /^INVALID_MANIFEST: invalid manifest:\n {2}m\.yaml:6:35: spec\.schema\.format: invalid JSON Schema: unknown format "emial": it would not be checked/,
    );
  });

  it("a pattern that backtracks exponentially runs in linear time", async () => {
    const resources = loadManifests({ text: store("{ type: string, pattern: '^(a+)+$' }") });
    const m = new StoreManager({ resources, backends: [memoryBackend], defaultProvider: "memory" });
    // With a backtracking engine this put would run for minutes; the test timeout is the bound.
    const error = await m
      .store("s")
      .put("k", `${"a".repeat(5000)}!`)
      .catch((e: unknown) => e);
    expect(StoreError.isInstance(error, "SCHEMA_VIOLATION")).toBe(true);
    await m.store("s").put("k", "aaaa");
    await m.close();
  });

  it("a pattern the linear engine cannot run is refused when the manifest is loaded", () => {
    expect(
      failure(() => loadManifests({ text: store("{ type: string, pattern: '(?<=a)b' }"), file: "m.yaml" })),
    ).toMatch(/invalid JSON Schema: cannot compile: pattern "\(\?<=a\)b" cannot run in linear time/);
  });

  it("an enum of 100,000 values compiles (linearly) and checks", async () => {
    const values = Array.from({ length: 100_000 }, (_, i) => `v${i}`);
    const resources = loadManifests({
      objects: [
        {
          apiVersion: "wfstore.dev/v1",
          kind: "WorkflowStore",
          metadata: { name: "s" },
          spec: { provider: "memory", schema: { enum: values } },
        },
      ],
    });
    const m = new StoreManager({ resources, backends: [memoryBackend], defaultProvider: "memory" });
    await m.store("s").put("k", "v99999");
    expect(
      StoreError.isInstance(
        await m
          .store("s")
          .put("k", "nope")
          .catch((e: unknown) => e),
        "SCHEMA_VIOLATION",
      ),
    ).toBe(true);
    await m.close();
  });
});
