import os from "node:os";
import { loadManifests, StoreError, StoreManager } from "@store/core";
import {
  type BackendContext,
  type BackendInstance,
  isConflict,
  type JsonValue,
  type PutRecord,
  type StoreEntry,
  type StoreRef,
} from "@store/core/backend";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import redisBackend, { type RedisBackendOptions } from "../src/index";
import { adminClient, closeAdminClient, deleteUnder, keysUnder, REDIS_URL, testNamespace } from "./redis";

const namespace = testNamespace("backend");
const opened: BackendInstance[] = [];
const managers: StoreManager[] = [];

const context: BackendContext = {
  dataDir: os.tmpdir(),
  providerName: "redis-test",
  baseDir: os.tmpdir(),
  now: Date.now,
  warn: () => {},
};

async function open(
  options: RedisBackendOptions = {},
): Promise<{ instance: BackendInstance; keyPrefix: string }> {
  const keyPrefix = options.keyPrefix ?? namespace.next();
  const instance = await redisBackend.create({ url: REDIS_URL, ...options, keyPrefix }, context);
  opened.push(instance);
  return { instance, keyPrefix };
}

const ref: StoreRef = { store: "notes", project: "p1" };
let tick = Date.parse("2026-11-26T08:40:00.000Z");

function record(key: string, value: JsonValue, extra: Partial<PutRecord> = {}): PutRecord {
  tick += 1000;
  return {
    key,
    value,
    json: JSON.stringify(value),
    taskId: "",
    updatedAt: new Date(tick).toISOString(),
    ...extra,
  };
}

async function put(instance: BackendInstance, key: string, value: JsonValue, extra?: Partial<PutRecord>) {
  const version = await instance.put(ref, record(key, value, extra), {});
  if (isConflict(version)) throw new Error("unexpected conflict");
  return version;
}

async function rejection(promise: Promise<unknown>): Promise<StoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(StoreError.isInstance(error), `expected a StoreError, got ${String(error)}`).toBe(true);
  return error as StoreError;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((i) => i.close()));
  await Promise.all(managers.splice(0).map((m) => m.close()));
});

afterAll(async () => {
  try {
    await deleteUnder(namespace.run);
    expect(await keysUnder(namespace.run)).toEqual([]);
  } finally {
    await closeAdminClient();
  }
});

describe("connecting", () => {
  it("an unreachable server is one BACKEND_IO error naming the backend and the server, never the credentials", async () => {
    const error = await rejection(
      open({ url: "redis://alice:s3cret-pw@127.0.0.1:1/2", connectTimeoutMs: 2000 }),
    );
    expect(error.code).toBe("BACKEND_IO");
    expect(error.message).toMatch(
      /^redis: cannot connect to Redis at redis:\/\/127\.0\.0\.1:1\/2: .*ECONNREFUSED/,
    );
    const everything = `${error.message} ${JSON.stringify(error.details)} ${String((error as Error).cause)}`;
    expect(everything).not.toMatch(/s3cret-pw|alice/);
  });

  it("a url that is not a URL is INVALID_ARGUMENT", async () => {
    const error = await rejection(open({ url: "redis://[::1" }));
    expect(error.code).toBe("INVALID_ARGUMENT");
    expect(error.message).toMatch(/^redis: option url/);
  });

  it("after close every op is CLOSED, and close may be called twice", async () => {
    const { instance } = await open();
    await put(instance, "k", 1);
    await instance.close();
    await instance.close();
    expect((await rejection(Promise.resolve().then(() => instance.get(ref, "k", {})))).code).toBe("CLOSED");
    const error = await rejection(Promise.resolve().then(() => instance.put(ref, record("k", 2), {})));
    expect(error.code).toBe("CLOSED");
    expect(error.message).toMatch(/^redis: put: the backend is closed/);
  });

  it("a connection the server dropped is re-established for the next op", async () => {
    const { instance } = await open();
    await put(instance, "k", "before");
    const admin = adminClient();
    const clients = (await admin.client("LIST")) as string;
    const ours = clients.split("\n").filter((line) => / name=wfstore /.test(line));
    expect(ours.length).toBeGreaterThan(0);
    for (const line of ours) await admin.client("KILL", "ID", /id=(\d+)/.exec(line)?.[1] as string);
    expect((await instance.get(ref, "k", {}))?.value).toBe("before");
    await put(instance, "k", "after");
    expect((await instance.get(ref, "k", {}))?.value).toBe("after");
  });

  it("a write whose connection is lost fails at once, saying it may have been applied, and is not sent twice", async () => {
    const { instance } = await open({ commandTimeoutMs: 120_000 });
    await put(instance, "k", 1);
    const admin = adminClient();
    const ours = async () =>
      ((await admin.client("LIST")) as string).split("\n").filter((line) => / name=wfstore /.test(line));
    // Hold every write on the server, so the put is surely sent and waiting when its connection dies.
    await admin.client("PAUSE", 20_000, "WRITE");
    let pending: Promise<StoreError>;
    try {
      pending = rejection(instance.put(ref, record("k", 2), {}) as Promise<unknown>);
      for (let i = 0; i < 500 && !(await ours()).some((line) => / flags=b /.test(line)); i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      for (const line of await ours()) await admin.client("KILL", "ID", /id=(\d+)/.exec(line)?.[1] as string);
    } finally {
      await admin.client("UNPAUSE");
    }
    const error = await pending;
    expect(error.code).toBe("BACKEND_IO");
    expect(error.message).toMatch(
      /^redis: put of key "k" .*connection to Redis was lost .*may or may not have been applied/,
    );
    // The killed command never ran, and nothing sent it again behind our back.
    expect((await instance.get(ref, "k", {}))?.version).toBe(1);
    expect(await put(instance, "k", 3)).toBe(2);
  });

  it("scripts are sent again when the server forgot them (restart, SCRIPT FLUSH)", async () => {
    const { instance } = await open();
    await put(instance, "k", 1);
    await adminClient().script("FLUSH");
    expect(await put(instance, "k", 2)).toBe(2);
    expect((await instance.list(ref, { limit: 10, offset: 0 })).map((e) => e.value)).toEqual([2]);
    await adminClient().script("FLUSH");
    await instance.putMany?.(ref, [record("j", 1), record("k", 3)]); // a pipeline of scripts
    expect((await instance.list(ref, { limit: 10, offset: 0 })).map((e) => e.value)).toEqual([3, 1]);
  });
});

describe("data layout", () => {
  it("keeps a project in four readable keys under the prefix: values, meta, order, floor", async () => {
    const { instance, keyPrefix } = await open();
    const v = await put(instance, "a b", { n: 1 }, { taskId: "task 7" });
    await put(instance, "ä😀", [1]);
    expect(await instance.delete(ref, "ä😀", {})).toBe(true);
    const base = `${keyPrefix}{notes/p1}:`;
    expect(await keysUnder(keyPrefix)).toEqual([
      `${base}floor`,
      `${base}meta`,
      `${base}order`,
      `${base}values`,
    ]);
    const admin = adminClient();
    const entry = (await instance.get(ref, "a b", {})) as StoreEntry;
    expect(await admin.hget(`${base}values`, "a b")).toBe('{"n":1}');
    expect(await admin.hget(`${base}meta`, "a b")).toBe(`${v} ${entry.createdAt} ${entry.updatedAt} task 7`);
    const clock = entry.updatedAt.replace(/\d/g, (d) => String(9 - Number(d))); // newest first
    expect(await admin.zrange(`${base}order`, 0, -1)).toEqual([`${clock} a b`]);
    expect(await admin.get(`${base}floor`)).toBe("1"); // the deleted key's version
    expect(entry).toMatchObject({ key: "a b", value: { n: 1 }, taskId: "task 7", version: v });
  });

  it("keys edited by hand into nonsense give BACKEND_IO naming the key, not a crash", async () => {
    const { instance, keyPrefix } = await open();
    await put(instance, "k", 1);
    await put(instance, "j", 2);
    const base = `${keyPrefix}{notes/p1}:`;
    await adminClient().hset(`${base}values`, "k", "{not json");
    const bad = await rejection(Promise.resolve(instance.get(ref, "k", {})));
    expect(bad.code).toBe("BACKEND_IO");
    expect(bad.message).toMatch(/^redis: the value of key "k" is not JSON: "\{not json"/);
    await adminClient().hdel(`${base}meta`, "j");
    const listed = await rejection(Promise.resolve(instance.list(ref, { limit: 10, offset: 0 })));
    expect(listed.code).toBe("BACKEND_IO");
    expect(listed.message).toMatch(/key "j" is listed but its metadata is missing/);
  });

  it("the default project and other stores live in keys of their own", async () => {
    const { instance, keyPrefix } = await open();
    await instance.put({ store: "notes", project: "" }, record("k", 1), {});
    await instance.put({ store: "other", project: "p1" }, record("k", 2), {});
    expect((await keysUnder(keyPrefix)).filter((k) => k.endsWith(":values"))).toEqual([
      `${keyPrefix}{notes/}:values`,
      `${keyPrefix}{other/p1}:values`,
    ]);
    expect(await instance.get(ref, "k", {})).toBeUndefined();
  });
});

describe("versions", () => {
  it("the floor outlives the connection: a key re-created by another instance gets a larger version", async () => {
    const first = await open();
    await put(first.instance, "k", 1);
    const last = await put(first.instance, "k", 2);
    expect(await first.instance.delete(ref, "k", {})).toBe(true);
    await first.instance.close();
    const second = await open({ keyPrefix: first.keyPrefix });
    const recreated = await put(second.instance, "k", 3);
    expect(recreated).toBe(last + 1);
    const stale = await second.instance.put(ref, record("k", "stale"), { ifVersion: last });
    expect(stale).toEqual({ conflict: true, currentVersion: recreated });
  });

  it("large imported versions are kept exactly (no float formatting in Lua)", async () => {
    const { instance } = await open();
    const big = 2 ** 52 + 1;
    await instance.putMany?.(ref, [record("k", 1, { version: big })]);
    expect((await instance.get(ref, "k", {}))?.version).toBe(big);
    expect(await put(instance, "k", 2)).toBe(big + 1);
    expect(await instance.delete(ref, "k", {})).toBe(true);
    expect(await put(instance, "k", 3)).toBe(big + 2);
  });

  it("two connections updating one counter lose nothing, a plain read-then-put does", async () => {
    const prefix = namespace.next();
    const manifest = (name: string) =>
      loadManifests({
        objects: [
          {
            apiVersion: "orchestrator.dev/v2",
            kind: "StoreBackendProvider",
            metadata: { name },
            spec: { plugin: "redis", options: { url: REDIS_URL, key_prefix: prefix } },
          },
          {
            apiVersion: "orchestrator.dev/v2",
            kind: "WorkflowStore",
            metadata: { name: "counters" },
            spec: { provider: name },
          },
        ],
      });
    const [a, b] = ["a", "b"].map((name) => {
      const m = new StoreManager({
        dataDir: os.tmpdir(),
        resources: manifest(name),
        backends: [redisBackend],
      });
      managers.push(m);
      return m.store("counters");
    }) as [ReturnType<StoreManager["store"]>, ReturnType<StoreManager["store"]>];
    await Promise.all(
      [a, b].flatMap((s) =>
        Array.from({ length: 60 }, () => s.update("n", (n) => ((n as number | undefined) ?? 0) + 1)),
      ),
    );
    expect(await a.get("n")).toBe(120);
    // Why conditional writes exist: both read 120, both write 121; one increment is lost, silently.
    const [seenByA, seenByB] = [(await a.get("n")) as number, (await b.get("n")) as number];
    await a.put("n", seenByA + 1);
    await b.put("n", seenByB + 1);
    expect(await a.get("n")).toBe(121);
    // With the version read, the second writer is refused instead.
    const entry = await a.getEntry("n");
    await a.put("n", 122, { ifVersion: entry?.version as number });
    const error = await rejection(b.put("n", 122, { ifVersion: entry?.version as number }));
    expect(error.code).toBe("CONFLICT");
    expect(await keysUnder(prefix)).toContain(`${prefix}{counters/}:values`);
  });
});

describe("prune and retention", () => {
  it("prune removes more than one script batch, newest kept, floor raised", async () => {
    const { instance, keyPrefix } = await open();
    const records = Array.from({ length: 2500 }, (_, i) => record(`k${String(i).padStart(4, "0")}`, i));
    await instance.putMany?.(ref, records);
    expect(await instance.prune?.(ref, { maxEntries: 10 })).toBe(2490);
    const left = await instance.list(ref, { limit: 1000, offset: 0 });
    expect(left.map((e) => e.key)).toEqual(Array.from({ length: 10 }, (_, i) => `k${2499 - i}`));
    expect(Number(await adminClient().get(`${keyPrefix}{notes/p1}:floor`))).toBe(1);
    expect(await adminClient().hlen(`${keyPrefix}{notes/p1}:values`)).toBe(10);
    expect(await adminClient().hlen(`${keyPrefix}{notes/p1}:meta`)).toBe(10);
  });

  it("prune by age removes only entries older than the cutoff, across batches", async () => {
    const { instance } = await open();
    const records = Array.from({ length: 1500 }, (_, i) => record(`k${i}`, i));
    await instance.putMany?.(ref, records);
    const cutoff = (records[1200] as PutRecord).updatedAt; // k1200 and newer stay
    expect(await instance.prune?.(ref, { olderThan: cutoff })).toBe(1200);
    const left = await instance.list(ref, { limit: 1000, offset: 0 });
    expect(left).toHaveLength(300);
    expect(left.at(-1)?.key).toBe("k1200");
  });

  it("a manifest's options arrive in camelCase; an unknown option names its field", async () => {
    const keyPrefix = namespace.next();
    const resources = loadManifests({
      objects: [
        {
          apiVersion: "orchestrator.dev/v2",
          kind: "StoreBackendProvider",
          metadata: { name: "shared" },
          spec: {
            plugin: "redis",
            options: { url: REDIS_URL, key_prefix: keyPrefix, command_timeout_ms: 10000 },
          },
        },
        {
          apiVersion: "orchestrator.dev/v2",
          kind: "StoreBackendProvider",
          metadata: { name: "typo" },
          spec: { plugin: "redis", options: { urll: REDIS_URL } },
        },
        {
          apiVersion: "orchestrator.dev/v2",
          kind: "WorkflowStore",
          metadata: { name: "capped" },
          spec: { provider: "shared", retention: { max_entries: 2 } },
        },
        {
          apiVersion: "orchestrator.dev/v2",
          kind: "WorkflowStore",
          metadata: { name: "broken" },
          spec: { provider: "typo" },
        },
      ],
    });
    const now = () => (tick += 1000); // one put per second: no ties
    const manager = new StoreManager({ dataDir: os.tmpdir(), resources, backends: [redisBackend], now });
    managers.push(manager);
    for (const k of ["a", "b", "c"]) await manager.store("capped").put(k, k);
    expect((await manager.store("capped").list()).map((e) => e.key)).toEqual(["c", "b"]);
    expect(await adminClient().zcard(`${keyPrefix}{capped/}:order`)).toBe(2);
    const error = await rejection(manager.store("broken").get("k"));
    expect(error.code).toBe("INVALID_MANIFEST");
    expect(error.message).toMatch(/urll/);
  });
});
