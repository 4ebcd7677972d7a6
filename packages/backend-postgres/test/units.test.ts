import { inspect } from "node:util";
import { compareKeys } from "@store/core/backend";
import { describe, expect, it } from "vitest";
import { failureOf, operationFailed } from "../src/errors";
import { keyOrder } from "../src/key-order";
import { chunksForPutMany } from "../src/put-many";
import { redactor } from "../src/redact";

describe("keyOrder", () => {
  it("compares as JavaScript compares strings, across every plane", () => {
    const chars = [
      "a",
      "Z",
      "ß",
      "\u07ff",
      "\u0800",
      "\ud7ff",
      "\ue000",
      "\uffff",
      "😀",
      "\u{10000}",
      "\u{10ffff}",
    ];
    const keys = Array.from({ length: 2000 }, () =>
      Array.from(
        { length: 1 + Math.floor(Math.random() * 5) },
        () => chars[Math.floor(Math.random() * chars.length)],
      ).join(""),
    );
    const byJs = [...keys].sort(compareKeys);
    const byKeyOrder = [...keys].sort((a, b) => Buffer.compare(keyOrder(a), keyOrder(b)));
    expect(byKeyOrder).toEqual(byJs);
    // Code point (UTF-8 byte) order disagrees: that is the bug key_order prevents.
    const byUtf8 = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(byUtf8).not.toEqual(byJs);
  });
});

describe("chunksForPutMany", () => {
  const r = (key: string, json = "1") => ({
    key,
    value: 1,
    json,
    taskId: "",
    updatedAt: "2026-01-01T00:00:00.000Z",
  });

  it("one statement per batch, a new one where a key repeats, in order", () => {
    expect(chunksForPutMany([r("a"), r("b"), r("c")]).map((c) => c.map((x) => x.key))).toEqual([
      ["a", "b", "c"],
    ]);
    expect(
      chunksForPutMany([r("a"), r("b"), r("a"), r("c"), r("a")]).map((c) => c.map((x) => x.key)),
    ).toEqual([["a", "b"], ["a", "c"], ["a"]]);
  });

  it("a new statement before the JSON would pass the size bound; a record larger than it stands alone", () => {
    const chunks = chunksForPutMany(
      [r("a", "x".repeat(6)), r("b", "x".repeat(6)), r("c", "x".repeat(30)), r("d")],
      10,
    );
    expect(chunks.map((c) => c.map((x) => x.key))).toEqual([["a"], ["b"], ["c"], ["d"]]);
    expect(chunksForPutMany([])).toEqual([]);
  });
});

describe("redaction", () => {
  it("removes URL passwords of any kind, and the given secrets in both spellings", () => {
    const redact = redactor(["s3cret pw", "ab", undefined]);
    expect(redact("connect postgres://u:whatever@h:5432/db failed")).toBe(
      "connect postgres://u:***@h:5432/db failed",
    );
    expect(redact("saw s3cret pw and s3cret%20pw")).toBe("saw *** and ***");
    expect(redact("a label with ab in it")).toBe("a label with ab in it"); // too short to hunt for
  });

  it("a driver error quoting the connection string becomes an error without it, its code kept", () => {
    const cs = "postgresql://app:hunter22@db.internal:5432/prod";
    const redact = redactor([cs, "hunter22"]);
    const driverError = Object.assign(new Error(`could not parse ${cs} (password hunter22)`), {
      code: "ERR_X",
      input: cs,
    });
    const server = { where: "db.internal:5432", schema: "wfstore", statementTimeoutMs: 0 };
    const error = operationFailed(driverError, "get", { key: "k" }, server, redact, false);
    const shown = [
      error.message,
      JSON.stringify(error.details),
      inspect(error, { depth: 10, showHidden: true }),
    ].join();
    expect(shown).not.toContain("hunter22");
    expect(error.message).toBe('postgres: get of key "k" failed: could not parse *** (password ***)');
    expect(error.details).toMatchObject({ errno: "ERR_X", failure: "other" });
  });

  it("classifies what the caller can act on", () => {
    const kind = (e: object) => failureOf(Object.assign(new Error("x"), e), (t) => t).kind;
    expect(kind({ code: "ECONNREFUSED" })).toBe("unreachable");
    expect(kind({ code: "57P01" })).toBe("lost");
    expect(kind({ code: "08006" })).toBe("lost");
    expect(kind({ code: "57014" })).toBe("timeout");
    expect(kind({ code: "42P01" })).toBe("schema");
    expect(kind({ code: "28P01" })).toBe("login");
    expect(kind({ code: "23505" })).toBe("other");
    expect(
      failureOf(new Error("Client has encountered a connection error and is not queryable"), (t) => t).kind,
    ).toBe("unsent");
    expect(failureOf(new Error("Connection terminated unexpectedly"), (t) => t).kind).toBe("lost");
  });
});
