import { describe, expect, it } from "vitest";
import { StoreError } from "../src/index";
import { decodeCursor, encodeCursor } from "../src/store/paging";
import { toTimestamp } from "../src/time";
import { serializeValue, validateKey, validateProjectId, validateStoreName } from "../src/validate";

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (StoreError.isInstance(e)) return `${e.code}: ${e.message}`;
    throw e;
  }
  return "ok";
}

describe("names", () => {
  it("accepts 1-63 of [A-Za-z0-9._-] starting with a letter or digit; project may be empty", () => {
    expect(validateStoreName("a")).toBe("a");
    expect(validateStoreName("Metrics_v2.1-x")).toBe("Metrics_v2.1-x");
    expect(validateProjectId("")).toBe("");
    expect(validateProjectId(undefined)).toBe("");
    expect(message(() => validateStoreName("a..b"))).toBe(
      'INVALID_ARGUMENT: invalid store name "a..b": use 1-63 characters of [A-Za-z0-9._-], starting with a letter or digit, without ".."',
    );
    expect(message(() => validateProjectId("p/q"))).toMatch(/^INVALID_ARGUMENT: invalid project id "p\/q"/);
  });
});

describe("keys", () => {
  it("names what is wrong with a key", () => {
    expect(message(() => validateKey(""))).toBe("INVALID_KEY: invalid key: the key is empty");
    expect(message(() => validateKey("a\nb"))).toBe(
      'INVALID_KEY: invalid key "a\\nb": contains a control character',
    );
    expect(message(() => validateKey("x\udc00"))).toBe(
      'INVALID_KEY: invalid key "x\\udc00": not well-formed Unicode (lone surrogate)',
    );
    expect(message(() => validateKey(42))).toBe("INVALID_KEY: invalid key: expected a string, got number");
    expect(message(() => validateKey("k".repeat(513)))).toMatch(
      /^INVALID_KEY: invalid key "k{80}"…: longer than 512 characters$/,
    );
  });
  it("counts characters as code points, so 512 emoji are a valid key", () => {
    expect(validateKey("😀".repeat(512))).toHaveLength(1024);
    expect(message(() => validateKey("😀".repeat(513)))).toMatch(/longer than 512/);
  });
});

describe("values", () => {
  it("serializes valid JSON once and names the path of what is not JSON", () => {
    expect(serializeValue({ a: [1, "x", null] })).toBe('{"a":[1,"x",null]}');
    expect(message(() => serializeValue({ run: { scores: [1, Number.NaN] } }))).toBe(
      "INVALID_VALUE: invalid value at value.run.scores[1]: NaN is not a JSON number",
    );
    expect(message(() => serializeValue({ "odd key": undefined }))).toBe(
      'INVALID_VALUE: invalid value at value["odd key"]: undefined is not JSON',
    );
    expect(message(() => serializeValue({ at: new Date(0) }))).toBe(
      "INVALID_VALUE: invalid value at value.at: Date instance is not plain JSON (convert it first)",
    );
    expect(message(() => serializeValue(10n))).toBe(
      "INVALID_VALUE: invalid value at value: BigInt is not JSON",
    );
    const loop: unknown[] = [];
    loop.push({ loop });
    expect(message(() => serializeValue(loop))).toBe(
      "INVALID_VALUE: invalid value at value[0].loop: circular reference",
    );
  });
  it("allows shared (non-circular) references and objects without a prototype", () => {
    const shared = { x: 1 };
    expect(serializeValue({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
    expect(serializeValue(Object.assign(Object.create(null), { y: 2 }))).toBe('{"y":2}');
  });
  it("measures the limit in UTF-8 bytes", () => {
    expect(serializeValue("é".repeat(4), 10)).toBe('"éééé"'); // 10 bytes
    expect(message(() => serializeValue("é".repeat(5), 11))).toBe(
      "VALUE_TOO_LARGE: value too large: 12 bytes serialized, the limit is 11",
    );
  });
});

describe("cursors", () => {
  it("round-trip and reject garbage", () => {
    const c = { updatedAt: "2026-01-01T00:00:00.000Z", key: "a/b 😀" };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    expect(decodeCursor(encodeCursor({ ...c, offset: 40 }))).toEqual({ ...c, offset: 40 });
    expect(message(() => decodeCursor("not-a-cursor"))).toBe(
      "INVALID_ARGUMENT: invalid cursor: expected one returned by a previous page",
    );
  });
});

describe("timestamps", () => {
  it("formats every millisecond exactly like toISOString, across second boundaries", async () => {
    const start = Date.parse("2026-12-31T23:59:58.990Z");
    for (let ms = start; ms < start + 2100; ms++) expect(toTimestamp(ms)).toBe(new Date(ms).toISOString());
    for (const ms of [0, -1, 1e12 + 7, Date.parse("1969-12-31T23:59:59.999Z")])
      expect(toTimestamp(ms)).toBe(new Date(ms).toISOString());
  });
});
