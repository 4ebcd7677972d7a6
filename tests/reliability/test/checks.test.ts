import type { JsonValue, StoreEntry } from "@store/core";
import { describe, expect, it } from "vitest";
import { crashValue, importValue, sharedDefect, sharedValue } from "./fixtures/values.mjs";
import { importRoundProblems, PruneRounds, putRoundProblems } from "./support/crash-checks";

/**
 * The suite's own checks: each must flag the damage it exists to catch (a lost acknowledged write, a
 * torn or foreign value, an entry nobody wrote, a hole left by prune), or a crash or concurrency
 * test could pass over a broken store.
 */
const entry = (key: string, value: JsonValue, extra: Partial<StoreEntry> = {}): [string, StoreEntry] => [
  key,
  {
    key,
    value,
    updatedAt: "2026-01-01T00:00:00.000Z",
    createdAt: "2026-01-01T00:00:00.000Z",
    taskId: "",
    version: 1,
    ...extra,
  },
];

describe("putRoundProblems", () => {
  const lines = ["ready", "ack c1-0 0", "ack c1-1 1"];
  const whole = new Map([
    entry("c1-0", crashValue(1, 0), { taskId: "r1" }),
    entry("c1-1", crashValue(1, 1), { taskId: "r1" }),
  ]);
  const check = (found: Map<string, StoreEntry>) =>
    putRoundProblems({ round: 1, keySpace: 40, model: new Map(), lines, found });

  it("passes a store holding exactly the acknowledged puts, and the one in flight landed whole", () => {
    expect(check(whole)).toEqual([]);
    expect(check(new Map([...whole, entry("c1-2", crashValue(1, 2))]))).toEqual([]);
  });
  it("flags a lost acknowledged put, a torn value, a foreign task id and an entry nobody wrote", () => {
    expect(check(new Map([...whole].slice(0, 1)))).toEqual(["c1-1: put 1 is missing"]);
    expect(check(new Map([...whole, entry("c1-1", { round: 1, i: 1, pad: "z" }, { taskId: "r1" })]))).toEqual(
      ["c1-1: not put 1 of round 1"],
    );
    expect(check(new Map([...whole, entry("c1-1", crashValue(1, 1), { taskId: "" })]))).toEqual([
      "c1-1: task id ",
    ]);
    expect(check(new Map([...whole, entry(".tmp-123", 1)]))).toEqual([".tmp-123: never written"]);
  });
});

describe("importRoundProblems", () => {
  const start = Date.parse("2026-03-01T00:00:00.000Z");
  const imported = (n: number, extra: Partial<StoreEntry> = {}) =>
    entry(`i0-${n}`, importValue(0, n), {
      updatedAt: new Date(start + n * 1000).toISOString(),
      createdAt: new Date(start + n * 1000 - 86_400_000).toISOString(),
      taskId: "imp0",
      version: n + 1,
      ...extra,
    });
  const check = (found: Map<string, StoreEntry>, recoversFromFiles = false) =>
    importRoundProblems({
      round: 0,
      start,
      model: new Map(),
      lines: ["ready", "ack 2"],
      found,
      recoversFromFiles,
    });

  it("passes the acknowledged batch exact, with or without part of the next", () => {
    expect(check(new Map([imported(0), imported(1)]))).toEqual([]);
    expect(check(new Map([imported(0), imported(1), imported(2)]))).toEqual([]);
  });
  it("flags a lost or altered acknowledged entry; a recovered one only where the backend documents it", () => {
    expect(check(new Map([imported(0)]))).toEqual(["i0-1: acknowledged import entry is missing"]);
    expect(check(new Map([imported(0), imported(1, { taskId: "" })]))).toEqual([
      "i0-1: not what was imported",
    ]);
    const recovered = imported(2, { taskId: "", createdAt: "2026-03-01T00:00:02.000Z", version: 1 });
    expect(check(new Map([imported(0), imported(1), recovered]))).toEqual([
      "i0-2: not what was imported",
      "i0-2: version 1 below 3",
    ]);
    expect(check(new Map([imported(0), imported(1), recovered]), true)).toEqual([]);
  });
});

describe("PruneRounds", () => {
  const keys = Array.from({ length: 20 }, (_, i) => `p0-${Math.floor(i / 10)}-${i % 10}`);
  const lines = [
    "ready",
    ...keys.slice(0, 10).map((k, i) => `ack ${k} ${i}`),
    "pruned 0",
    ...keys.slice(10).map((k, i) => `ack ${k} ${i + 10}`),
  ];
  const found = (names: string[]) =>
    new Map(
      names.map((k) => entry(k, crashValue(0, Number(k.split("-")[1]) * 10 + Number(k.split("-")[2])))),
    );

  it("passes the newest entries without a hole", () => {
    expect(new PruneRounds(15, 10).problems(lines, found(keys.slice(5)))).toEqual([]);
  });
  it("flags a hole among the newest, too few entries left, and a prune that was lost", () => {
    expect(
      new PruneRounds(15, 10).problems(lines, found(keys.slice(5).filter((k) => k !== "p0-1-3"))),
    ).toEqual(["p0-1-3: newer than a kept entry, missing", "only 14 entries left"]);
    expect(new PruneRounds(15, 10).problems(lines, found(keys.slice(10)))).toEqual(["only 10 entries left"]);
    expect(new PruneRounds(5, 10).problems(lines, found(keys))).toEqual(["20 entries: a prune was lost"]);
  });
});

describe("sharedDefect (the concurrent reader's check)", () => {
  it("passes a whole write with its writer's task id", () => {
    expect(sharedDefect({ value: sharedValue(1, 7), taskId: "w1" })).toBeUndefined();
  });
  it("flags a value torn between two writes, a foreign task id and a value that is not an object", () => {
    const torn = { ...(sharedValue(1, 7) as object), pad: "y".repeat(10) };
    expect([
      sharedDefect({ value: torn, taskId: "w1" }),
      sharedDefect({ value: sharedValue(1, 7), taskId: "w0" }),
      sharedDefect({ value: null, taskId: "w1" }),
    ]).toEqual(["padding of another write", "task id w0 with a value of writer 1", "not an object"]);
  });
});
