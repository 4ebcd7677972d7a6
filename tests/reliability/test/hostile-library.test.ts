import type { JsonValue, StoreHandle, StoreManager } from "@store/core";
import { afterAll, beforeAll, describe } from "vitest";
import { type HostileCase, hostileCases } from "./support/hostile";
import { snapshot, type Watched } from "./support/intact";
import { managerOn } from "./support/stores";
import { makeTarget, type Target } from "./support/targets";

/**
 * Issue 14, hostile input through the library: keys, values, names, task ids, conditions, list,
 * prune and cursor arguments, import records and schemas, each refused with its exact code while
 * every stored entry stays as it was. Core checks these before any backend is called; the table runs
 * on the file and the local backend, so a backend that wrote before core refused would show.
 */
interface Context {
  manager: StoreManager;
  victim: StoreHandle;
  typed: StoreHandle;
  tiny: StoreHandle;
}

const WATCHED: Watched[] = [{ store: "victim" }, { store: "victim", project: "p1" }, { store: "typed" }];
const TYPED_SCHEMA = {
  type: "object",
  required: ["n"],
  properties: { n: { type: "integer", minimum: 0 }, word: { type: "string", pattern: "^(a+)+$" } },
  additionalProperties: false,
};

const put = (value: unknown) => (c: Context) => c.victim.put("k", value as JsonValue);
const putKey = (key: unknown) => (c: Context) => c.victim.put(key as string, 1);

/**
 * An object whose property answers a first read one thing and later reads another: what is
 * serialized must be what the schema accepted.
 */
function flipping(first: unknown, later: unknown): JsonValue {
  let reads = 0;
  return new Proxy({ n: later } as Record<string, unknown>, {
    get: (target, prop) => (prop === "n" ? (reads++ === 0 ? first : later) : target[prop as string]),
  }) as JsonValue;
}

const circular: Record<string, unknown> = { a: 1 };
circular.self = circular;
const circularArray: unknown[] = [1];
circularArray.push(circularArray);
const named = Object.assign([1, 2], { extra: "lost" });
class MyArray extends Array {}
const nonEnumerable = Object.defineProperty({ a: 1 }, "hidden", { value: 2, enumerable: false });
const getter = Object.defineProperty({}, "g", { get: () => 1, enumerable: true });
const setterOnly = Object.defineProperty({}, "s", { set: () => {}, enumerable: true });
const deep = (levels: number) => {
  let v: unknown = 0;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
};

const KEYS: HostileCase<Context>[] = [
  { name: "put with an empty key", code: "INVALID_KEY", run: putKey("") },
  { name: "put with a NUL in the key", code: "INVALID_KEY", run: putKey("a\u0000b") },
  { name: "put with a newline key", code: "INVALID_KEY", run: putKey("line\nbreak") },
  { name: "put with a tab in the key", code: "INVALID_KEY", run: putKey("tab\tkey") },
  { name: "put with DEL in the key", code: "INVALID_KEY", run: putKey("del\u007f") },
  { name: "put with an ANSI escape key", code: "INVALID_KEY", run: putKey("\u001b[2J\u001b]0;title\u0007") },
  { name: "put with a carriage return key", code: "INVALID_KEY", run: putKey("a\rb") },
  { name: "put with a 513-character key", code: "INVALID_KEY", run: putKey("x".repeat(513)) },
  { name: "put with a 513-emoji key", code: "INVALID_KEY", run: putKey("\u{1f600}".repeat(513)) },
  { name: "put with a 100,000-character key", code: "INVALID_KEY", run: putKey("k".repeat(100_000)) },
  { name: "put with a lone high surrogate", code: "INVALID_KEY", run: putKey("\ud800") },
  { name: "put with a lone low surrogate", code: "INVALID_KEY", run: putKey("a\udc00b") },
  { name: "put with reversed surrogates", code: "INVALID_KEY", run: putKey("\udc00\ud800") },
  { name: "put with a number key", code: "INVALID_KEY", run: putKey(42) },
  { name: "put with a null key", code: "INVALID_KEY", run: putKey(null) },
  { name: "put with an undefined key", code: "INVALID_KEY", run: putKey(undefined) },
  { name: "put with an object key", code: "INVALID_KEY", run: putKey({ toString: () => "k" }) },
  { name: "put with an array key", code: "INVALID_KEY", run: putKey(["k"]) },
  { name: "put with a String object key", code: "INVALID_KEY", run: putKey(new String("k")) },
  { name: "get with an empty key", code: "INVALID_KEY", run: (c) => c.victim.get("") },
  { name: "get with a control character", code: "INVALID_KEY", run: (c) => c.victim.get("\u0001") },
  { name: "getEntry with a lone surrogate", code: "INVALID_KEY", run: (c) => c.victim.getEntry("\udfff") },
  {
    name: "delete with a 600-character key",
    code: "INVALID_KEY",
    run: (c) => c.victim.delete("d".repeat(600)),
  },
  { name: "delete with a NUL key", code: "INVALID_KEY", run: (c) => c.victim.delete("\u0000") },
  { name: "update with an empty key", code: "INVALID_KEY", run: (c) => c.victim.update("", () => 1) },
  {
    name: "execute get with a control key",
    code: "INVALID_KEY",
    run: (c) => c.manager.execute({ op: "get", store: "victim", key: "\u0002" }),
  },
];

const VALUES: HostileCase<Context>[] = [
  { name: "put of undefined", code: "INVALID_VALUE", run: put(undefined) },
  { name: "put of a function", code: "INVALID_VALUE", run: put(() => 1) },
  { name: "put of a symbol", code: "INVALID_VALUE", run: put(Symbol("s")) },
  { name: "put of a BigInt", code: "INVALID_VALUE", run: put(10n) },
  { name: "put of NaN", code: "INVALID_VALUE", run: put(Number.NaN) },
  { name: "put of Infinity", code: "INVALID_VALUE", run: put(Number.POSITIVE_INFINITY) },
  { name: "put of -Infinity", code: "INVALID_VALUE", run: put(Number.NEGATIVE_INFINITY) },
  { name: "put of an object with an undefined property", code: "INVALID_VALUE", run: put({ a: undefined }) },
  { name: "put of an array holding undefined", code: "INVALID_VALUE", run: put([1, undefined]) },
  // biome-ignore lint/suspicious/noSparseArray: a hole is the input under test
  { name: "put of a sparse array", code: "INVALID_VALUE", run: put([1, , 3]) },
  { name: "put of NaN nested deep", code: "INVALID_VALUE", run: put({ a: [{ b: [Number.NaN] }] }) },
  { name: "put of an array with a named property", code: "INVALID_VALUE", run: put(named) },
  { name: "put of an Array subclass", code: "INVALID_VALUE", run: put(MyArray.from([1, 2])) },
  { name: "put of a non-enumerable property", code: "INVALID_VALUE", run: put(nonEnumerable) },
  { name: "put of a getter", code: "INVALID_VALUE", run: put(getter) },
  { name: "put of a setter without getter", code: "INVALID_VALUE", run: put(setterOnly) },
  { name: "put of a symbol-keyed property", code: "INVALID_VALUE", run: put({ [Symbol("k")]: 1, a: 1 }) },
  { name: "put of a circular object", code: "INVALID_VALUE", run: put(circular) },
  { name: "put of a circular array", code: "INVALID_VALUE", run: put(circularArray) },
  { name: "put of a Date", code: "INVALID_VALUE", run: put(new Date(0)) },
  { name: "put of a Map", code: "INVALID_VALUE", run: put(new Map([["a", 1]])) },
  { name: "put of a Set", code: "INVALID_VALUE", run: put(new Set([1])) },
  { name: "put of a RegExp", code: "INVALID_VALUE", run: put(/x/) },
  { name: "put of a Uint8Array", code: "INVALID_VALUE", run: put(new Uint8Array([1, 2])) },
  {
    name: "put of a class instance",
    code: "INVALID_VALUE",
    run: put(
      new (class Point {
        x = 1;
      })(),
    ),
  },
  {
    name: "put of an object with toJSON",
    code: "INVALID_VALUE",
    run: put(
      new (class {
        toJSON() {
          return 1;
        }
      })(),
    ),
  },
  { name: "put of a boxed number", code: "INVALID_VALUE", run: put(new Number(1)) },
  { name: "put of arrays nested 1,100 deep", code: "INVALID_VALUE", run: put(deep(1100)) },
  { name: "put of arrays nested 200,000 deep", code: "INVALID_VALUE", run: put(deep(200_000)) },
  {
    name: "put of 16 MiB + 1 of string",
    code: "VALUE_TOO_LARGE",
    run: put("v".repeat(16 * 1024 * 1024 - 1)),
  },
  {
    name: "put of 6 MiB of 3-byte characters (18 MiB as UTF-8)",
    code: "VALUE_TOO_LARGE",
    run: put("\u20ac".repeat(6 * 1024 * 1024)),
  },
  {
    name: "put over the manager's 1 KiB limit",
    code: "VALUE_TOO_LARGE",
    run: (c) => c.tiny.put("k", "x".repeat(2000)),
  },
  {
    name: "update returning NaN",
    code: "INVALID_VALUE",
    run: (c) => c.victim.update("a", () => Number.NaN as JsonValue),
  },
];

const NAMES: HostileCase<Context>[] = [
  ...[
    "",
    "..",
    "../x",
    "a/b",
    "a\\b",
    ".hidden",
    "-dash",
    "a b",
    "x".repeat(64),
    "caf\u00e9",
    "a..b",
    "_x",
    "\u0000",
  ].map(
    (name): HostileCase<Context> => ({
      name: `store name ${JSON.stringify(name.length > 20 ? `${name.slice(0, 8)}…(${name.length})` : name)}`,
      code: "INVALID_ARGUMENT",
      run: (c) => c.manager.store(name).put("k", 1),
    }),
  ),
  {
    name: "store name null",
    code: "INVALID_ARGUMENT",
    run: (c) => c.manager.store(null as unknown as string).get("k"),
  },
  ...["..", "a/b", " ", "p".repeat(64), "-p", "\u00e9t\u00e9", "p\n"].map(
    (project): HostileCase<Context> => ({
      name: `project id ${JSON.stringify(project.length > 20 ? `${project.slice(0, 8)}…` : project)}`,
      code: "INVALID_ARGUMENT",
      run: (c) => c.manager.store("victim", { project }).put("k", 1),
    }),
  ),
];

const TASKS: HostileCase<Context>[] = [
  {
    name: "task id of 257 characters",
    code: "INVALID_ARGUMENT",
    run: (c) => c.victim.put("k", 1, { taskId: "t".repeat(257) }),
  },
  {
    name: "task id with a newline",
    code: "INVALID_ARGUMENT",
    run: (c) => c.victim.put("k", 1, { taskId: "t\nx" }),
  },
  {
    name: "task id with an escape",
    code: "INVALID_ARGUMENT",
    run: (c) => c.victim.put("k", 1, { taskId: "\u001b[31m" }),
  },
  {
    name: "task id with a lone surrogate",
    code: "INVALID_ARGUMENT",
    run: (c) => c.victim.put("k", 1, { taskId: "\ud800" }),
  },
  {
    name: "task id a number",
    code: "INVALID_ARGUMENT",
    run: (c) => c.victim.put("k", 1, { taskId: 7 as unknown as string }),
  },
];

const CONDITIONS: HostileCase<Context>[] = [
  { name: "ifVersion 0", code: "INVALID_ARGUMENT", run: (c) => c.victim.put("a", 1, { ifVersion: 0 }) },
  { name: "ifVersion -1", code: "INVALID_ARGUMENT", run: (c) => c.victim.put("a", 1, { ifVersion: -1 }) },
  { name: "ifVersion 1.5", code: "INVALID_ARGUMENT", run: (c) => c.victim.put("a", 1, { ifVersion: 1.5 }) },
  {
    name: "ifVersion as a string",
    code: "INVALID_ARGUMENT",
    run: (c) => c.victim.put("a", 1, { ifVersion: "1" as unknown as number }),
  },
  {
    name: "ifVersion 2^53",
    code: "INVALID_ARGUMENT",
    run: (c) => c.victim.put("a", 1, { ifVersion: 2 ** 53 }),
  },
  {
    name: "ifAbsent as a string",
    code: "INVALID_ARGUMENT",
    run: (c) => c.victim.put("a", 1, { ifAbsent: "yes" as unknown as boolean }),
  },
  {
    name: "ifVersion and ifAbsent together",
    code: "INVALID_ARGUMENT",
    run: (c) => c.victim.put("a", 1, { ifVersion: 1, ifAbsent: true }),
  },
  {
    name: "delete with ifVersion NaN",
    code: "INVALID_ARGUMENT",
    run: (c) => c.victim.delete("a", { ifVersion: Number.NaN }),
  },
  {
    name: "ifAbsent over a live entry",
    code: "CONFLICT",
    run: (c) => c.victim.put("a", "over", { ifAbsent: true }),
  },
  {
    name: "ifVersion of a stale version",
    code: "CONFLICT",
    run: (c) => c.victim.put("a", "stale", { ifVersion: 1_000_000 }),
  },
  {
    name: "delete with a stale ifVersion",
    code: "CONFLICT",
    run: (c) => c.victim.delete("a", { ifVersion: 999_999 }),
  },
  {
    name: "ifVersion on an absent key",
    code: "CONFLICT",
    run: (c) => c.victim.put("nobody", 1, { ifVersion: 1 }),
  },
];

const list = (limit: unknown, offset?: unknown) => (c: Context) =>
  c.victim.list({ limit: limit as number, offset: offset as number });
const prune = (maxEntries: unknown, ttlDays?: unknown) => (c: Context) =>
  c.victim.prune({ maxEntries: maxEntries as number, ttlDays: ttlDays as number });
const cursor = (text: unknown) => (c: Context) => c.victim.listPage({ limit: 2, cursor: text as string });
const b64 = (json: unknown) => Buffer.from(JSON.stringify(json)).toString("base64url");

const ARGUMENTS: HostileCase<Context>[] = [
  ...[0, -1, 1001, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "10", null, 2 ** 53].map((limit) => ({
    name: `list limit ${String(typeof limit === "string" ? JSON.stringify(limit) : limit)}`,
    code: "INVALID_ARGUMENT",
    run: list(limit),
  })),
  ...[-1, 1.5, Number.NaN, "0", 2 ** 53, Number.NEGATIVE_INFINITY].map((offset) => ({
    name: `list offset ${String(typeof offset === "string" ? JSON.stringify(offset) : offset)}`,
    code: "INVALID_ARGUMENT",
    run: list(10, offset),
  })),
  ...[-1, 1.5, Number.NaN, "5", 2 ** 53].map((max) => ({
    name: `prune max_entries ${String(typeof max === "string" ? JSON.stringify(max) : max)}`,
    code: "INVALID_ARGUMENT",
    run: prune(max),
  })),
  ...[-1, 0.5, 1_000_001, "1", Number.POSITIVE_INFINITY].map((ttl) => ({
    name: `prune ttl_days ${String(typeof ttl === "string" ? JSON.stringify(ttl) : ttl)}`,
    code: "INVALID_ARGUMENT",
    run: prune(undefined, ttl),
  })),
  { name: "listPage limit 0", code: "INVALID_ARGUMENT", run: (c) => c.victim.listPage({ limit: 0 }) },
  { name: "cursor that is not base64 JSON", code: "INVALID_ARGUMENT", run: cursor("%%%not-a-cursor") },
  { name: "cursor of an empty string", code: "INVALID_ARGUMENT", run: cursor("") },
  { name: "cursor of a number", code: "INVALID_ARGUMENT", run: cursor(12) },
  { name: "cursor of JSON null", code: "INVALID_ARGUMENT", run: cursor(b64(null)) },
  {
    name: "cursor with a numeric key",
    code: "INVALID_ARGUMENT",
    run: cursor(b64(["2026-01-01T00:00:00.000Z", 5])),
  },
  {
    name: "cursor with a negative offset",
    code: "INVALID_ARGUMENT",
    run: cursor(b64(["2026-01-01T00:00:00.000Z", "a", -3])),
  },
  { name: "cursor of 1 MB of junk", code: "INVALID_ARGUMENT", run: cursor("A".repeat(1_000_000)) },
  {
    name: "entries() batch size 0",
    code: "INVALID_ARGUMENT",
    run: async (c) => {
      for await (const _ of c.victim.entries({ batchSize: 0 })) break;
    },
  },
  {
    name: "execute an unknown op",
    code: "INVALID_ARGUMENT",
    run: (c) => c.manager.execute({ op: "drop", store: "victim" } as never),
  },
];

const importOf = (entries: unknown[]) => (c: Context) => c.victim.import(entries as never);
const ok = { key: "imported-ok", value: 1 };
const IMPORTS: HostileCase<Context>[] = [
  { name: "import entry without a value", code: "INVALID_ARGUMENT", run: importOf([ok, { key: "x" }]) },
  { name: "import entry null", code: "INVALID_ARGUMENT", run: importOf([ok, null]) },
  { name: "import entry a string", code: "INVALID_ARGUMENT", run: importOf(["k"]) },
  {
    name: "import entry with NaN",
    code: "INVALID_VALUE",
    run: importOf([ok, { key: "x", value: Number.NaN }]),
  },
  {
    name: "import entry with a control key",
    code: "INVALID_KEY",
    run: importOf([ok, { key: "\u0007", value: 1 }]),
  },
  {
    name: "import of February 30th",
    code: "INVALID_ARGUMENT",
    run: importOf([ok, { key: "x", value: 1, updatedAt: "2026-02-30T00:00:00.000Z" }]),
  },
  {
    name: "import of February 30th with an offset",
    code: "INVALID_ARGUMENT",
    run: importOf([{ key: "x", value: 1, updatedAt: "2026-02-30T00:00:00.5+00:00" }]),
  },
  {
    name: "import of hour 24",
    code: "INVALID_ARGUMENT",
    run: importOf([{ key: "x", value: 1, updatedAt: "2026-01-01T24:00:00.000Z" }]),
  },
  {
    name: "import of a timestamp without zone",
    code: "INVALID_ARGUMENT",
    run: importOf([{ key: "x", value: 1, updatedAt: "2026-01-01T00:00:00" }]),
  },
  {
    name: "import of created_at 'yesterday'",
    code: "INVALID_ARGUMENT",
    run: importOf([{ key: "x", value: 1, createdAt: "yesterday" }]),
  },
  {
    name: "import of an epoch number timestamp",
    code: "INVALID_ARGUMENT",
    run: importOf([{ key: "x", value: 1, updatedAt: 1767225600000 }]),
  },
  {
    name: "import of version 0",
    code: "INVALID_ARGUMENT",
    run: importOf([ok, { key: "x", value: 1, version: 0 }]),
  },
  {
    name: "import of version '3'",
    code: "INVALID_ARGUMENT",
    run: importOf([{ key: "x", value: 1, version: "3" }]),
  },
  {
    name: "import of a task id number",
    code: "INVALID_ARGUMENT",
    run: importOf([{ key: "x", value: 1, taskId: 5 }]),
  },
];

const SCHEMAS: HostileCase<Context>[] = [
  {
    name: "schema: a required field missing",
    code: "SCHEMA_VIOLATION",
    run: (c) => c.typed.put("t", { word: "a" }),
  },
  { name: "schema: a negative integer", code: "SCHEMA_VIOLATION", run: (c) => c.typed.put("t", { n: -1 }) },
  {
    name: "schema: an extra field",
    code: "SCHEMA_VIOLATION",
    run: (c) => c.typed.put("t", { n: 1, more: true }),
  },
  {
    name: "schema: a catastrophic pattern on 40 a's and a '!'",
    code: "SCHEMA_VIOLATION",
    run: (c) => c.typed.put("t", { n: 1, word: `${"a".repeat(40)}!` }),
  },
  {
    name: "schema: an import entry that violates it",
    code: "SCHEMA_VIOLATION",
    run: (c) => c.typed.import([{ key: "t", value: { n: "x" } }]),
  },
  {
    name: "schema: update producing a violation",
    code: "SCHEMA_VIOLATION",
    run: (c) => c.typed.update("t0", () => ({ n: 1.5 })),
  },
  {
    name: "schema: a Proxy serialized invalid, then read valid",
    code: "SCHEMA_VIOLATION",
    // Core checks the schema against the serialized text read back, so what is stored is what was
    // checked (a Proxy serialized valid and read invalid afterwards is stored valid: nothing to refuse).
    run: (c) => c.typed.put("t", flipping("not an integer", 1)),
  },
];

export const LIBRARY_CASES = [
  ...KEYS,
  ...VALUES,
  ...NAMES,
  ...TASKS,
  ...CONDITIONS,
  ...ARGUMENTS,
  ...IMPORTS,
  ...SCHEMAS,
];

describe.each(["file", "local"] as const)("hostile input through the library, on %s", (name) => {
  let target: Target;
  let manager: StoreManager;
  let tinyManager: StoreManager;
  beforeAll(async () => {
    target = makeTarget(name);
    manager = managerOn(target, { stores: [{ name: "typed", schema: TYPED_SCHEMA }] });
    tinyManager = managerOn({ ...target, dataDir: `${target.dataDir}/tiny` }, { maxValueBytes: 1024 });
    for (const key of ["a", "b", "../../etc/passwd", "CON", "\u{1f600}"])
      await manager.store("victim").put(key, { key });
    await manager.store("victim", { project: "p1" }).put("a", "other project");
    await manager.store("typed").put("t0", { n: 0 });
  });
  afterAll(async () => {
    await manager.close();
    await tinyManager.close();
    await target.cleanup();
  });
  hostileCases(
    LIBRARY_CASES,
    () => ({
      manager,
      victim: manager.store("victim"),
      typed: manager.store("typed"),
      tiny: tinyManager.store("victim"),
    }),
    () => snapshot(manager, WATCHED),
  );
});
