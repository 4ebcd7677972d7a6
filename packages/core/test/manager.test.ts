import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { FakeClock, memoryBackend } from "@store/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { type BackendInstance, defineBackend, type SnapshotReader } from "../src/backend";
import {
  loadManifests,
  type ResourceSet,
  StoreError,
  StoreManager,
  type StoreManagerOptions,
} from "../src/index";

const managers: StoreManager[] = [];
function manager(options: StoreManagerOptions & { yaml?: string } = {}) {
  const resources: ResourceSet | undefined = options.yaml
    ? loadManifests({ text: options.yaml, file: "m.yaml" })
    : options.resources;
  const m = new StoreManager({
    dataDir: fs.mkdtempSync(path.join(os.tmpdir(), "wfstore-core-")),
    backends: [memoryBackend],
    defaultProvider: "memory",
    ...options,
    ...(resources ? { resources } : {}),
  });
  managers.push(m);
  return m;
}
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close()));
});

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    if (StoreError.isInstance(e)) return `${e.code}: ${e.message}`;
    throw e;
  }
  return undefined;
}

const storeDoc = (name: string, spec: string, project?: string) =>
  `---\napiVersion: wfstore.dev/v1\nkind: WorkflowStore\nmetadata:\n  name: ${name}\n${project ? `  project: ${project}\n` : ""}spec:\n${spec}\n`;

describe("resolution", () => {
  it("auto-provisions an undeclared store on the default provider", async () => {
    const m = manager();
    await m.store("fresh").put("k", 1);
    const r = await m.resolve("fresh", "");
    expect(r.ref).toEqual({ store: "fresh", project: "" });
    expect(r.retention).toEqual({});
    expect(r.providerName).toBe("memory");
  });

  it("a project-scoped definition applies to its project; others get the unscoped one", async () => {
    const m = manager({
      yaml:
        storeDoc("metrics", "  provider: memory\n  retention: { max_entries: 1 }") +
        storeDoc("metrics", "  provider: memory\n  retention: { max_entries: 3 }", "big"),
    });
    for (const project of ["", "small", "big"])
      for (const k of ["a", "b", "c", "d"]) await m.store("metrics", { project }).put(k, k);
    expect(await m.store("metrics").list()).toHaveLength(1);
    expect(await m.store("metrics", { project: "small" }).list()).toHaveLength(1);
    expect(await m.store("metrics", { project: "big" }).list()).toHaveLength(3);
  });

  it("a store naming an undeclared provider fails with PROVIDER_NOT_FOUND naming both", async () => {
    const m = manager({ yaml: storeDoc("metrics", "  provider: redis") });
    expect(await codeOf(m.store("metrics").get("k"))).toBe(
      'PROVIDER_NOT_FOUND: store "metrics" uses provider "redis", which is not declared: add a StoreBackendProvider named "redis", or use the builtin "local" or "file"',
    );
  });

  it("a plugin provider whose package is missing names the package to install", async () => {
    const m = manager({
      yaml: `${storeDoc("metrics", "  provider: acme")}---\napiVersion: wfstore.dev/v1\nkind: StoreBackendProvider\nmetadata: { name: acme }\nspec:\n  plugin: "@acme/store-backend-nope"\n`,
    });
    const error = await m
      .store("metrics")
      .get("k")
      .catch((e: unknown) => e);
    expect(StoreError.isInstance(error, "PLUGIN_NOT_INSTALLED")).toBe(true);
    expect((error as Error).message).toBe(
      'provider "acme" needs the package "@acme/store-backend-nope", which is not installed: run `npm install @acme/store-backend-nope` (or pnpm add / yarn add)',
    );
    // Not cached: the same manager fails the same way again rather than with a stale state.
    expect(
      StoreError.isInstance(
        await m
          .store("metrics")
          .get("k")
          .catch((e: unknown) => e),
        "PLUGIN_NOT_INSTALLED",
      ),
    ).toBe(true);
  });

  it("loads a plugin package by name from the user's project, made with another copy of core", async () => {
    // A real package on disk, whose definition carries the Symbol.for marker as another installed
    // copy of @store/core would make it (it does not import this copy).
    const project = fs.mkdtempSync(path.join(os.tmpdir(), "wfstore-plugin-"));
    const pkg = path.join(project, "node_modules", "@acme", "store-backend-echo");
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(
      path.join(pkg, "package.json"),
      JSON.stringify({ name: "@acme/store-backend-echo", type: "module", exports: "./index.js" }),
    );
    fs.writeFileSync(
      path.join(pkg, "index.js"),
      `const entries = new Map();
export default {
  [Symbol.for("@store/core.backend")]: true,
  name: "echo", specificationVersion: "v2",
  capabilities: { retentionOnPut: false, cursor: false, prune: true, ttlFilter: false, preservesTimestamps: true, putMany: false },
  optionsSchema: { type: "object", required: ["prefix"], additionalProperties: false, properties: { prefix: { type: "string" } } },
  create(options) {
    return {
      get: (ref, key) => entries.get(key),
      put: (ref, r) => { const version = (entries.get(r.key)?.version ?? 0) + 1; entries.set(r.key, { key: r.key, value: options.prefix + r.value, createdAt: r.updatedAt, updatedAt: r.updatedAt, taskId: r.taskId, version }); return version; },
      delete: (ref, key) => entries.delete(key),
      list: () => [...entries.values()],
      prune: () => 0,
      close() {},
    };
  },
};\n`,
    );
    const provider = (options: string) =>
      `${storeDoc("s", "  provider: echo")}---\napiVersion: wfstore.dev/v1\nkind: StoreBackendProvider\nmetadata: { name: echo }\nspec:\n  plugin: "@acme/store-backend-echo"\n  options: ${options}\n`;
    const m = manager({ yaml: provider("{ prefix: 'echo:' }"), resolveFrom: project });
    await m.store("s").put("k", "hi");
    expect(await m.store("s").get("k")).toBe("echo:hi");

    const bad = manager({ yaml: provider("{ prefx: 'x' }"), resolveFrom: project });
    expect(await codeOf(bad.store("s").get("k"))).toBe(
      'INVALID_MANIFEST: invalid manifest (2 errors):\n  m.yaml:9:1: spec.options: missing required property "prefix" (options of backend "echo")\n  m.yaml:9:1: spec.options: unknown property "prefx" (options of backend "echo")',
    );
  });

  it("loads an ESM-only plugin package (exports with only an import condition) by name", async () => {
    const project = fs.mkdtempSync(path.join(os.tmpdir(), "wfstore-plugin-"));
    const pkg = path.join(project, "node_modules", "@acme", "store-backend-esm");
    fs.mkdirSync(path.join(pkg, "dist"), { recursive: true });
    fs.writeFileSync(
      path.join(pkg, "package.json"),
      JSON.stringify({
        name: "@acme/store-backend-esm",
        type: "module",
        exports: { ".": { import: { types: "./dist/index.d.ts", default: "./dist/index.js" } } },
      }),
    );
    fs.writeFileSync(
      path.join(pkg, "dist", "index.js"),
      `const data = new Map();
export default { [Symbol.for("@store/core.backend")]: true, name: "esm", specificationVersion: "v2", capabilities: {},
  create: () => ({ get: (r, k) => data.get(k), put: (r, e) => { data.set(e.key, { ...e, createdAt: e.updatedAt, version: 1 }); return 1; },
    delete: (r, k) => data.delete(k), list: () => [...data.values()], close() {} }) };\n`,
    );
    const m = manager({
      resolveFrom: project,
      yaml: `${storeDoc("s", "  provider: esm")}---\napiVersion: wfstore.dev/v1\nkind: StoreBackendProvider\nmetadata: { name: esm }\nspec:\n  plugin: "@acme/store-backend-esm"\n`,
    });
    await m.store("s").put("k", "v");
    expect(await m.store("s").get("k")).toBe("v");
  });

  it("refuses a backend written against another contract version, naming the upgrade", async () => {
    expect(
      await codeOf(() =>
        defineBackend({ name: "x", specificationVersion: "v9", create: () => ({}) as never }),
      ),
    ).toBe(
      'UNSUPPORTED: backend "x" implements backend contract "v9", but this @store/core implements v2: use a release of it that matches this @store/core',
    );
    // A v1 plugin made by an older copy of core (it never called this core's defineBackend).
    const project = fs.mkdtempSync(path.join(os.tmpdir(), "wfstore-plugin-"));
    const pkg = path.join(project, "node_modules", "store-backend-old");
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(
      path.join(pkg, "package.json"),
      JSON.stringify({ name: "store-backend-old", main: "index.js" }),
    );
    fs.writeFileSync(
      path.join(pkg, "index.js"),
      'module.exports = { [Symbol.for("@store/core.backend")]: true, name: "old", specificationVersion: "v1", capabilities: {}, create() {} };\n',
    );
    const m = manager({
      resolveFrom: project,
      yaml: `${storeDoc("s", "  provider: old")}---\napiVersion: wfstore.dev/v1\nkind: StoreBackendProvider\nmetadata: { name: old }\nspec:\n  plugin: store-backend-old\n`,
    });
    expect(await codeOf(m.store("s").get("k"))).toBe(
      'UNSUPPORTED: package "store-backend-old" implements backend contract "v1", but this @store/core implements v2: upgrade it to a release written for backend contract v2 (its put resolves the version written; see docs/writing-a-backend.md, "From contract v1 to v2")',
    );
  });

  it("creates one backend instance per provider, lazily, and closes them all", async () => {
    let created = 0;
    let closed = 0;
    const counting = defineBackend({
      name: "counting",
      specificationVersion: "v2",
      async create(_options, context) {
        created++;
        const inner = await memoryBackend.create({}, context);
        return { ...inner, close: () => void closed++ };
      },
    });
    const m = manager({ backends: [counting], defaultProvider: "counting" });
    expect(created).toBe(0);
    await Promise.all([
      m.store("a").put("k", 1),
      m.store("b").put("k", 1),
      m.store("a", { project: "p" }).get("k"),
    ]);
    expect(created).toBe(1);
    await m.close();
    expect(closed).toBe(1);
    expect(await codeOf(m.store("a").get("k"))).toBe("CLOSED: the store manager is closed");
  });
});

describe("schema checks", () => {
  const yaml = storeDoc(
    "metrics",
    "  provider: memory\n  schema:\n    type: object\n    required: [test_count]\n    properties:\n      test_count: { type: integer, minimum: 0 }\n      when: { type: string, format: date-time }",
  );

  it("rejects a value that breaks the schema, naming the store, key and failing path; the old value stays", async () => {
    const m = manager({ yaml });
    const s = m.store("metrics");
    await s.put("run-1", { test_count: 3 });
    expect(await codeOf(s.put("run-1", { test_count: -1 }))).toBe(
      'SCHEMA_VIOLATION: value for key "run-1" does not match the schema of store "metrics": test_count: must be >= 0',
    );
    expect(await codeOf(s.put("run-1", { when: "yesterday" }))).toBe(
      'SCHEMA_VIOLATION: value for key "run-1" does not match the schema of store "metrics": (value): missing required property "test_count"; when: must match format "date-time"',
    );
    expect(await s.get("run-1")).toEqual({ test_count: 3 });
  });

  it("compiles each distinct schema once, whatever the number of stores and puts", async () => {
    const m = manager({
      yaml:
        yaml +
        storeDoc(
          "metrics2",
          "  provider: memory\n  schema: { type: object, required: [test_count], properties: { test_count: { type: integer, minimum: 0 }, when: { type: string, format: date-time } } }",
        ),
    });
    // biome-ignore lint/complexity/useLiteralKeys: reaching into a private field, on purpose
    const compiled = () => (m as unknown as { validators: { size: number } })["validators"].size;
    await m.store("metrics").put("first", { test_count: 0 });
    expect(compiled()).toBe(1); // the store schema (no options: the backend's options schema is not compiled)
    for (let i = 0; i < 50; i++) {
      await m.store("metrics").put(`k${i}`, { test_count: i });
      await m.store("metrics2", { project: `p${i % 3}` }).put(`k${i}`, { test_count: i });
    }
    expect(compiled()).toBe(1); // metrics2 has the same schema: no new compile, for any project
  });
});

describe("retention and TTL", () => {
  it("applies max_entries after each put, through prune when the backend lacks native retention", async () => {
    const pruned: number[] = [];
    const noNative = defineBackend({
      name: "no-native",
      specificationVersion: "v2",
      capabilities: { prune: true },
      async create(_options, context) {
        const inner = await memoryBackend.create({}, context);
        return {
          ...inner,
          put: (ref, record) => inner.put(ref, record, {}),
          prune: async (ref, q) => {
            const n = (await inner.prune?.(ref, q)) as number;
            pruned.push(n);
            return n;
          },
        };
      },
    });
    const clock = new FakeClock();
    const m = manager({
      backends: [noNative],
      yaml: storeDoc("journal", "  provider: no-native\n  retention: { max_entries: 2 }"),
      now: clock.now,
    });
    for (const k of ["a", "b", "c", "d"]) {
      await m.store("journal").put(k, k);
      clock.advance(1);
    }
    expect(pruned).toEqual([0, 0, 1, 1]);
    expect((await m.store("journal").list()).map((e) => e.key)).toEqual(["d", "c"]);
  });

  it("hides entries past ttl_days from get and list even when the backend returns them", async () => {
    const leaky = defineBackend({
      name: "leaky",
      specificationVersion: "v2",
      capabilities: { prune: true },
      async create(_options, context) {
        const inner = await memoryBackend.create({}, context);
        // Ignores notBefore, as a backend without ttlFilter may.
        return {
          ...inner,
          get: (ref, key) => inner.get(ref, key, {}),
          list: (ref, q) => inner.list(ref, { ...q, notBefore: undefined }),
        };
      },
    });
    const clock = new FakeClock("2026-01-10T00:00:00.000Z");
    const m = manager({
      backends: [leaky],
      yaml: storeDoc("s", "  provider: leaky\n  retention: { ttl_days: 7 }"),
      now: clock.now,
    });
    const s = m.store("s");
    await s.put("old", 1);
    clock.advanceDays(5);
    await s.put("new", 2);
    clock.advanceDays(3);
    expect(await s.get("old")).toBeUndefined();
    expect(await s.get("new")).toBe(2);
    expect((await s.list()).map((e) => e.key)).toEqual(["new"]);
    expect(await s.prune()).toBe(1);
  });

  it("prune and retention on a backend without prune are UNSUPPORTED, and say which provider", async () => {
    const writes: string[] = [];
    const noPrune = defineBackend({
      name: "no-prune",
      specificationVersion: "v2",
      async create(_o, c) {
        const inner = await memoryBackend.create({}, c);
        return {
          ...inner,
          prune: undefined,
          put: (ref, record, options) => {
            writes.push(record.key);
            return inner.put(ref, record, options);
          },
        };
      },
    });
    const m = manager({
      backends: [noPrune, memoryBackend],
      yaml:
        storeDoc("capped", "  provider: no-prune\n  retention: { max_entries: 2 }") +
        storeDoc("plain", "  provider: no-prune"),
    });
    expect(await codeOf(m.store("plain").prune({ maxEntries: 1 }))).toBe(
      'UNSUPPORTED: store "plain": provider "no-prune" does not support prune',
    );
    // Refused when the store is resolved: the put is not stored and then reported as failed.
    expect(await codeOf(m.store("capped").put("k", 1))).toBe(
      'UNSUPPORTED: store "capped" keeps at most 2 entries (retention max_entries), but its provider "no-prune" can neither prune nor trim on put, so that limit cannot be kept: give the provider a prune command, or remove max_entries',
    );
    expect(writes).toEqual([]);
    await m.store("plain").put("k", 1);
    expect(writes).toEqual(["k"]);
  });

  it("an instance may turn off a capability its definition declares", async () => {
    const narrowed = defineBackend({
      name: "narrowed",
      specificationVersion: "v2",
      capabilities: memoryBackend.capabilities,
      async create(_o, c) {
        const inner = await memoryBackend.create({}, c);
        return { ...inner, capabilities: { conditionalWrites: false } };
      },
    });
    const m = manager({ backends: [narrowed], defaultProvider: "narrowed" });
    expect((await m.resolve("s", "")).capabilities).toEqual({
      retentionOnPut: true,
      cursor: true,
      prune: true,
      conditionalWrites: false,
    });
    expect(await codeOf(m.store("s").put("k", 1, { ifAbsent: true }))).toBe(
      'UNSUPPORTED: store "s": provider "narrowed" does not support conditional writes (ifVersion, ifAbsent)',
    );
    expect(await m.store("s").get("k")).toBeUndefined();
  });
});

describe("paging without native cursors", () => {
  /** The reference backend with `after` taken away: core must page by offset itself. */
  const offsetOnly = (spy: string[] = []) =>
    defineBackend({
      name: "offset-only",
      specificationVersion: "v2",
      capabilities: { prune: true },
      async create(_o, c) {
        const inner = await memoryBackend.create({}, c);
        return {
          ...inner,
          snapshot: undefined,
          list: (ref, q) => {
            if (q.after) throw new Error("after was passed to a backend without the cursor capability");
            spy.push(`${q.offset}+${q.limit}`);
            return inner.list(ref, q);
          },
        };
      },
    });

  it("listPage pages correctly with cursors core emulates, also deep and after new writes", async () => {
    const clock = new FakeClock();
    const calls: string[] = [];
    const m = manager({ backends: [offsetOnly(calls)], defaultProvider: "offset-only", now: clock.now });
    const s = m.store("s");
    for (let i = 0; i < 25; i++) {
      await s.put(`k${String(i).padStart(2, "0")}`, i);
      if (i % 4 === 0) clock.advance(1);
    }
    const all = (await s.list({ limit: 1000 })).map((e) => e.key);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await s.listPage({ limit: 10, ...(cursor ? { cursor } : {}) });
      seen.push(...page.entries.map((e) => e.key));
      cursor = page.nextCursor;
      pages++;
      // A newer entry arriving between pages shifts every offset by one; the cursor still holds.
      if (pages === 1) {
        clock.advance(100);
        await s.put("newest", 0);
      }
    } while (cursor && pages < 10);
    expect(seen).toEqual(all);
    expect(pages).toBe(3);
    expect(calls.length).toBeGreaterThan(3);
  });

  it("a backend that ignores offset fails with PROVIDER_PROTOCOL instead of paging forever", async () => {
    const ignoresOffset = defineBackend({
      name: "ignores-offset",
      specificationVersion: "v2",
      async create(_o, c) {
        const inner = await memoryBackend.create({}, c);
        return {
          ...inner,
          snapshot: undefined, // export pages through list too
          list: (ref, q) => inner.list(ref, { ...q, offset: 0, after: undefined }),
        };
      },
    });
    const m = manager({ backends: [ignoresOffset], defaultProvider: "ignores-offset" });
    const s = m.store("s");
    await s.import(Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: i })));
    const walk = async () => {
      for await (const _ of s.entries({ batchSize: 10 })) void _;
    };
    const error = await walk().catch((e: unknown) => e);
    expect(StoreError.isInstance(error, "PROVIDER_PROTOCOL")).toBe(true);
    expect((error as Error).message).toMatch(
      /the list makes no progress \(does the provider honour OFFSET\?\)/,
    );
    const page = await s.listPage({ limit: 10 });
    expect(
      StoreError.isInstance(
        await s.listPage({ limit: 10, cursor: page.nextCursor }).catch((e: unknown) => e),
        "PROVIDER_PROTOCOL",
      ),
    ).toBe(true);
  });
});

describe("export readers", () => {
  /** The reference backend, whose snapshot is replaced by `reader` (and spied on). */
  const withSnapshot = (reader: (inner: BackendInstance) => SnapshotReader, closes: string[] = []) =>
    defineBackend({
      name: "snapshots",
      specificationVersion: "v2",
      capabilities: { cursor: true, prune: true, conditionalWrites: true, retentionOnPut: true },
      async create(_o, c) {
        const inner = await memoryBackend.create({}, c);
        return {
          ...inner,
          snapshot: () => {
            const r = reader(inner);
            return { read: r.read, close: () => void closes.push("closed") };
          },
        };
      },
    });

  it("entries() and openReader() read the backend's snapshot: writes meanwhile are not seen", async () => {
    const clock = new FakeClock();
    const m = manager({ backends: [memoryBackend], defaultProvider: "memory", now: clock.now });
    const s = m.store("s");
    await s.import(Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: i })));
    clock.advance(1000);
    const reader = await s.openReader();
    expect(reader.snapshot).toBe(true);
    const first = await reader.read(2);
    await s.put("k0", "rewritten");
    await s.put("k9", "new");
    const rest = await reader.read(1000);
    expect(await reader.read(1000)).toEqual([]);
    await reader.close();
    await reader.close(); // idempotent
    // The five entries share one timestamp: ties list by key.
    expect([...first, ...rest].map((e) => [e.key, e.value])).toEqual([
      ["k0", 0],
      ["k1", 1],
      ["k2", 2],
      ["k3", 3],
      ["k4", 4],
    ]);
    await expect(reader.read(0)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });

  it("a backend's snapshot is held to the contract: order, limit; expired entries are left out", async () => {
    const clock = new FakeClock();
    const entry = (key: string, updatedAt: string) => ({
      key,
      value: 1,
      createdAt: updatedAt,
      updatedAt,
      taskId: "",
      version: 1,
    });
    const now = new Date(clock.now()).toISOString();
    const old = new Date(clock.now() - 3 * 86_400_000).toISOString();
    const pages = (batches: ReturnType<typeof entry>[][]) => () => ({
      read: () => batches.shift() ?? [],
      close: () => {},
    });
    const read = async (backend: ReturnType<typeof withSnapshot>, ttl = "") => {
      const m = manager({
        backends: [backend],
        defaultProvider: "snapshots",
        now: clock.now,
        ...(ttl ? { yaml: storeDoc("s", `  provider: snapshots\n  ${ttl}`) } : {}),
      });
      const keys: string[] = [];
      for await (const e of m.store("s").entries({ batchSize: 2 })) keys.push(e.key);
      return keys;
    };
    const unordered = await read(withSnapshot(pages([[entry("a", now)], [entry("a", now)]]))).catch(
      (e: unknown) => e,
    );
    expect(unordered).toMatchObject({ code: "PROVIDER_PROTOCOL" });
    expect((unordered as Error).message).toMatch(/snapshot entry "a" .* is not after "a"/);
    const tooMany = await read(
      withSnapshot(pages([[entry("c", now), entry("b", now), entry("a", now)]])),
    ).catch((e: unknown) => e);
    expect((tooMany as Error).message).toMatch(/returned 3 entries, more than the 2 asked for/);
    // ttl_days 2: the first expired entry ends the export (expired entries sort last).
    const closes: string[] = [];
    const ttl = withSnapshot(pages([[entry("a", now), entry("b", old)], [entry("c", old)]]), closes);
    expect(await read(ttl, "retention: { ttl_days: 2 }")).toEqual(["a"]);
    expect(closes).toEqual(["closed"]);
  });

  it("stopping early closes the snapshot exactly once", async () => {
    const closes: string[] = [];
    const backend = withSnapshot((inner) => {
      let done = false;
      return {
        read: async () => {
          if (done) return [];
          done = true;
          return inner.list({ store: "s", project: "" }, { limit: 1000, offset: 0 });
        },
        close: () => {},
      };
    }, closes);
    const clock = new FakeClock();
    const m = manager({ backends: [backend], defaultProvider: "snapshots", now: clock.now });
    const s = m.store("s");
    await s.import(Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: i })));
    for await (const e of s.entries({ batchSize: 5 })) {
      expect(e.key).toBe("k0");
      break;
    }
    expect(closes).toEqual(["closed"]);
  });
});

describe("errors from backends", () => {
  it("wrap unknown failures as BACKEND_IO naming the store and op, keeping the cause", async () => {
    const failing = defineBackend({
      name: "failing",
      specificationVersion: "v2",
      async create(_options, context) {
        const inner = await memoryBackend.create({}, context);
        return {
          ...inner,
          get: () => {
            throw new Error("disk on fire");
          },
        };
      },
    });
    const m = manager({ backends: [failing], defaultProvider: "failing" });
    const error = await m
      .store("s")
      .get("k")
      .catch((e: unknown) => e);
    expect(StoreError.isInstance(error, "BACKEND_IO")).toBe(true);
    expect((error as Error).message).toBe(
      'store "s" (provider "failing"): get of key "k" failed: disk on fire',
    );
    expect(((error as Error).cause as Error).message).toBe("disk on fire");
  });

  it("validation happens before any backend is called", async () => {
    let calls = 0;
    const counting = defineBackend({
      name: "counting",
      specificationVersion: "v2",
      async create(_options, context) {
        const inner = await memoryBackend.create({}, context);
        return new Proxy(inner, {
          get: (t, p) =>
            typeof t[p as keyof typeof t] === "function"
              ? (...a: unknown[]) => {
                  calls++;
                  return (t[p as keyof typeof t] as (...x: unknown[]) => unknown)(...a);
                }
              : t[p as keyof typeof t],
        });
      },
    });
    const m = manager({ backends: [counting], defaultProvider: "counting" });
    await codeOf(m.store("s").put("", 1));
    await codeOf(m.store("s").put("k", Number.NaN));
    await codeOf(m.store("s").list({ limit: 0 }));
    await codeOf(() => m.store("../x"));
    expect(calls).toBe(0);
  });
});

describe("execute(op)", () => {
  it("runs every op of the brief and returns results typed by op", async () => {
    const m = manager();
    expect(
      await m.execute({ op: "put", store: "s", project: "p", key: "k", value: { a: 1 }, taskId: "t1" }),
    ).toMatchObject({ op: "put", entry: { key: "k", taskId: "t1" } });
    expect(await m.execute({ op: "get", store: "s", project: "p", key: "k" })).toEqual({
      op: "get",
      found: true,
      value: { a: 1 },
      version: 1,
    });
    expect(await m.execute({ op: "list", store: "s", project: "p", limit: 10 })).toMatchObject({
      op: "list",
      entries: [{ key: "k" }],
    });
    expect(await m.execute({ op: "delete", store: "s", project: "p", key: "k" })).toEqual({
      op: "delete",
      existed: true,
    });
    expect(await m.execute({ op: "prune", store: "s", project: "p", maxEntries: 0 })).toEqual({
      op: "prune",
      removed: 0,
    });
    expect(await codeOf(m.execute({ op: "nope" } as never))).toMatch(/INVALID_ARGUMENT/);
  });
});
