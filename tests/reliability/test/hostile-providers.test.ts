import path from "node:path";
import { fileURLToPath } from "node:url";
import type { StoreHandle, StoreManager } from "@store/core";
import { afterAll, beforeAll, describe } from "vitest";
import type { TargetSpec } from "./fixtures/open-store.mjs";
import { type HostileCase, hostileCases } from "./support/hostile";
import { snapshot } from "./support/intact";
import { managerOn, withManager } from "./support/stores";
import { KV_SH, tempDir } from "./support/targets";

/**
 * Issue 14, provider misbehaviour: v1 commands and v2 processes that print garbage, print too much,
 * hang, exit non-zero, die, ignore OFFSET or write escape sequences to stderr. Each ends in its exact
 * code; no message carries a raw control or bidi character; the entries the well-behaved provider
 * (kv.sh, on the same directory) keeps are exactly as before.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const HOSTILE_V2 = path.join(here, "fixtures", "hostile-v2.mjs");
const MiB = 1024 * 1024;

/** Where kv.sh keeps the entries: the well-behaved provider and the hostile ones share it. */
const kvDir = tempDir("kv");
let good: StoreManager;

const kv = (op: string) => `${KV_SH} ${op}`;
/** kv.sh for every op, but `override`. */
function v1(override: Record<string, string>, extra: Record<string, unknown> = {}): TargetSpec {
  return {
    backend: "command",
    options: {
      commands: {
        get: kv("get"),
        put: kv("put"),
        delete: kv("delete"),
        list: kv("list"),
        prune: kv("prune"),
        ...override,
      },
      workingDir: kvDir,
      timeoutSeconds: 1,
      maxOutputBytes: MiB,
      putReadsStdin: true,
      conditionalWrites: true,
      ...extra,
    },
  };
}
function v2(mode: string): TargetSpec {
  return {
    backend: "command",
    options: { process: [process.execPath, HOSTILE_V2, mode], timeoutSeconds: 1, maxOutputBytes: MiB },
  };
}

/** Runs `op` on store "victim" served by `spec`; a message with raw control characters is a failure. */
function through(spec: TargetSpec, op: (s: StoreHandle) => unknown) {
  return () =>
    withManager({ spec, dataDir: kvDir }, async (m) => {
      try {
        return await op(m.store("victim"));
      } catch (error) {
        const message = String((error as Error).message);
        if (/[\u0000-\u0009\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]/.test(message)) {
          throw new Error(`raw control or bidi character in the message: ${JSON.stringify(message)}`);
        }
        throw error;
      }
    });
}

const get = (s: StoreHandle) => s.get("a");
const exportAll = async (s: StoreHandle) => {
  for await (const _ of s.entries({ batchSize: 1 })) {
    // reading to the end
  }
};

const V1: HostileCase<void>[] = [
  {
    name: "v1 get prints text that is not JSON",
    code: "PROVIDER_PROTOCOL",
    run: through(v1({ get: "echo 'not json{'" }), get),
  },
  {
    name: "v1 get prints binary junk",
    code: "PROVIDER_PROTOCOL",
    run: through(v1({ get: "printf '\\377\\376\\000'" }), get),
  },
  {
    name: "v1 get prints a JSON string with invalid UTF-8",
    code: "PROVIDER_PROTOCOL",
    run: through(v1({ get: "printf '\"\\377\"'" }), get),
  },
  {
    name: "v1 get prints two values",
    code: "PROVIDER_PROTOCOL",
    run: through(v1({ get: "echo 1; echo 2" }), get),
  },
  {
    name: "v1 get prints a metadata line with a bad version",
    code: "PROVIDER_PROTOCOL",
    run: through(v1({ get: `echo '{"updated_at":"2026-01-01T00:00:00.000Z","version":"x"}'; echo 1` }), get),
  },
  {
    name: "v1 get prints 3 MB (cap 1 MiB)",
    code: "PROVIDER_PROTOCOL",
    run: through(v1({ get: "head -c 3000000 /dev/zero | tr '\\000' a" }), get),
  },
  { name: "v1 get prints forever", code: "PROVIDER_PROTOCOL", run: through(v1({ get: "yes" }), get) },
  { name: "v1 get hangs", code: "PROVIDER_TIMEOUT", run: through(v1({ get: "sleep 30" }), get) },
  {
    name: "v1 get hangs in two grandchildren",
    code: "PROVIDER_TIMEOUT",
    run: through(v1({ get: "sleep 30 & sleep 30; wait" }), get),
  },
  { name: "v1 get exits 3", code: "PROVIDER_FAILED", run: through(v1({ get: "exit 3" }), get) },
  {
    name: "v1 get exits 75 without a condition",
    code: "PROVIDER_FAILED",
    run: through(v1({ get: "exit 75" }), get),
  },
  {
    name: "v1 get runs a missing program",
    code: "PROVIDER_FAILED",
    run: through(v1({ get: "/no/such/program" }), get),
  },
  {
    name: "v1 get as an argv of a missing program",
    code: "PROVIDER_FAILED",
    run: through(v1({ get: ["/no/such/program"] as unknown as string }), get),
  },
  { name: "v1 get kills itself", code: "PROVIDER_FAILED", run: through(v1({ get: "kill -9 $$" }), get) },
  {
    name: "v1 get writes escape sequences and bidi overrides to stderr, exits 1",
    code: "PROVIDER_FAILED",
    run: through(
      v1({ get: "printf '\\033[2J\\033]0;pwned\\007\\342\\200\\256evil\\033[31m' >&2; exit 1" }),
      get,
    ),
  },
  {
    name: "v1 get prints 2 MB on stderr, exits 1",
    code: "PROVIDER_FAILED",
    run: through(v1({ get: "head -c 2000000 /dev/zero >&2; exit 1" }), get),
  },
  {
    name: "v1 list prints an object",
    code: "PROVIDER_PROTOCOL",
    run: through(v1({ list: `echo '{"a":1}'` }), (s) => s.list()),
  },
  {
    name: "v1 list prints a cut-off array",
    code: "PROVIDER_PROTOCOL",
    run: through(v1({ list: `echo '[{"key":'` }), (s) => s.list()),
  },
  {
    name: "v1 list entry without a key",
    code: "PROVIDER_PROTOCOL",
    run: through(v1({ list: `echo '[{"value":1,"updated_at":"2026-01-01T00:00:00.000Z"}]'` }), (s) =>
      s.list(),
    ),
  },
  {
    name: "v1 list entry without a value",
    code: "PROVIDER_PROTOCOL",
    run: through(v1({ list: `echo '[{"key":"a","updated_at":"2026-01-01T00:00:00.000Z"}]'` }), (s) =>
      s.list(),
    ),
  },
  {
    name: "v1 list entry on February 30th",
    code: "PROVIDER_PROTOCOL",
    run: through(
      v1({ list: `echo '[{"key":"a","value":1,"updated_at":"2026-02-30T00:00:00.000Z"}]'` }),
      (s) => s.list(),
    ),
  },
  {
    name: "v1 list entry with version 0",
    code: "PROVIDER_PROTOCOL",
    run: through(
      v1({ list: `echo '[{"key":"a","value":1,"updated_at":"2026-01-01T00:00:00.000Z","version":0}]'` }),
      (s) => s.list(),
    ),
  },
  {
    name: "v1 list entry with a control-character key",
    code: "PROVIDER_PROTOCOL",
    run: through(
      v1({ list: `echo '[{"key":"a\\u0000","value":1,"updated_at":"2026-01-01T00:00:00.000Z"}]'` }),
      (s) => s.list(),
    ),
  },
  {
    name: "v1 list ignores OFFSET (export)",
    code: "PROVIDER_PROTOCOL",
    run: through(v1({ list: `OFFSET=0 exec ${kv("list")}` }), exportAll),
  },
  {
    name: "v1 list prints 3 MB",
    code: "PROVIDER_PROTOCOL",
    run: through(v1({ list: "printf '['; head -c 3000000 /dev/zero | tr '\\000' ' '; printf ']'" }), (s) =>
      s.list(),
    ),
  },
  {
    name: "v1 put exits 1 without writing",
    code: "PROVIDER_FAILED",
    run: through(v1({ put: "cat >/dev/null; exit 1" }), (s) => s.put("a", "new")),
  },
  {
    name: "v1 put prints garbage instead of its version",
    code: "PROVIDER_PROTOCOL",
    run: through(v1({ put: "cat >/dev/null; echo garbage" }), (s) => s.put("new-key", 1)),
  },
  {
    name: "v1 put prints version -1",
    code: "PROVIDER_PROTOCOL",
    run: through(v1({ put: `cat >/dev/null; echo '{"version":-1}'` }), (s) => s.put("new-key", 1)),
  },
  {
    name: "v1 put hangs",
    code: "PROVIDER_TIMEOUT",
    run: through(v1({ put: "sleep 30" }), (s) => s.put("new-key", 1)),
  },
  {
    name: "v1 put leaves a 3 MB value unread (put_reads_stdin)",
    code: "PROVIDER_PROTOCOL",
    run: through(v1({ put: `echo '{"version":1}'` }), (s) => s.put("big", "v".repeat(3 * MiB))),
  },
  {
    name: "v1 seed put (no put_reads_stdin) given a 200 KB value",
    code: "VALUE_TOO_LARGE",
    run: through(v1({ put: kv("put") }, { putReadsStdin: false, conditionalWrites: false }), (s) =>
      s.put("big", "v".repeat(200_000)),
    ),
  },
  {
    name: "v1 delete prints existed: maybe",
    code: "PROVIDER_PROTOCOL",
    run: through(v1({ delete: `echo '{"existed":"maybe"}'` }), (s) => s.delete("zzz")),
  },
  {
    name: "v1 prune prints removed: all",
    code: "PROVIDER_PROTOCOL",
    run: through(v1({ prune: `echo '{"removed":"all"}'` }), (s) => s.prune({ maxEntries: 100 })),
  },
  {
    name: "v1 prune prints removed: -5",
    code: "PROVIDER_PROTOCOL",
    run: through(v1({ prune: `echo '{"removed":-5}'` }), (s) => s.prune({ maxEntries: 100 })),
  },
  {
    name: "v1 prune exits 2",
    code: "PROVIDER_FAILED",
    run: through(v1({ prune: "exit 2" }), (s) => s.prune({ maxEntries: 100 })),
  },
  {
    name: "v1 conditional put answered exit 75 with garbage",
    code: "PROVIDER_PROTOCOL",
    run: through(v1({ put: "cat >/dev/null; echo junk; exit 75" }), (s) => s.put("a", 1, { ifVersion: 1 })),
  },
];

const V2: HostileCase<void>[] = [
  { name: "v2 handshake is garbage", code: "PROVIDER_PROTOCOL", run: through(v2("handshake-garbage"), get) },
  {
    name: "v2 handshake says protocol 3",
    code: "PROVIDER_PROTOCOL",
    run: through(v2("handshake-version-3"), get),
  },
  { name: "v2 handshake never comes", code: "PROVIDER_TIMEOUT", run: through(v2("handshake-never"), get) },
  {
    name: "v2 provider exits before the handshake",
    code: "PROVIDER_FAILED",
    run: through(v2("handshake-exit"), get),
  },
  {
    name: "v2 handshake is a JSON array",
    code: "PROVIDER_PROTOCOL",
    run: through(v2("handshake-array"), get),
  },
  { name: "v2 reply is garbage", code: "PROVIDER_PROTOCOL", run: through(v2("garbage"), get) },
  // A reply to no request is ignored; the request it should have answered times out (the provider
  // wrote something, so it is not killed as hung).
  { name: "v2 reply names an unknown id", code: "PROVIDER_TIMEOUT", run: through(v2("unknown-id"), get) },
  {
    name: "v2 reply with invalid UTF-8 in a value",
    code: "PROVIDER_PROTOCOL",
    run: through(v2("invalid-utf8"), get),
  },
  {
    name: "v2 reply line of 3 MB (cap 1 MiB)",
    code: "PROVIDER_PROTOCOL",
    run: through(v2("huge-line"), get),
  },
  { name: "v2 request never answered", code: "PROVIDER_TIMEOUT", run: through(v2("hang"), get) },
  { name: "v2 provider crashes on a request", code: "PROVIDER_FAILED", run: through(v2("crash"), get) },
  { name: "v2 error reply", code: "PROVIDER_FAILED", run: through(v2("error-reply"), get) },
  {
    name: "v2 error reply with code UNSUPPORTED",
    code: "UNSUPPORTED",
    run: through(v2("error-unsupported"), get),
  },
  {
    name: "v2 entry with a bad timestamp and no value",
    code: "PROVIDER_PROTOCOL",
    run: through(v2("bad-entry"), get),
  },
  { name: "v2 entry with version -2", code: "PROVIDER_PROTOCOL", run: through(v2("bad-version"), get) },
  {
    name: "v2 list answers an object",
    code: "PROVIDER_PROTOCOL",
    run: through(v2("list-object"), (s) => s.list()),
  },
  {
    name: "v2 list ignores offset (export)",
    code: "PROVIDER_PROTOCOL",
    run: through(v2("ignore-offset"), exportAll),
  },
  {
    name: "v2 escape sequences on stderr, then exit",
    code: "PROVIDER_FAILED",
    run: through(v2("stderr-escapes"), get),
  },
  {
    name: "v2 put answered without a version",
    code: "PROVIDER_PROTOCOL",
    run: through(v2("put-no-version"), (s) => s.put("a", 1)),
  },
  { name: "v2 reply is a JSON array", code: "PROVIDER_PROTOCOL", run: through(v2("reply-array"), get) },
  {
    name: "v2 prune answers removed: -5",
    code: "PROVIDER_PROTOCOL",
    run: through(v2("prune-negative"), (s) => s.prune({ maxEntries: 1 })),
  },
  { name: "v2 entry on February 30th", code: "PROVIDER_PROTOCOL", run: through(v2("impossible-date"), get) },
  {
    name: "v2 list entry with a control-character key",
    code: "PROVIDER_PROTOCOL",
    run: through(v2("control-key"), (s) => s.list()),
  },
];

export const PROVIDER_CASES = [...V1, ...V2];

describe("hostile providers", () => {
  beforeAll(async () => {
    good = managerOn({ spec: v1({}), dataDir: kvDir });
    for (const key of ["a", "b", "c", "../x", "$(touch pwned)"]) await good.store("victim").put(key, { key });
  });
  afterAll(async () => {
    await good.close();
    (await import("node:fs")).rmSync(kvDir, { recursive: true, force: true });
  });
  hostileCases(
    PROVIDER_CASES,
    () => undefined,
    () => snapshot(good, [{ store: "victim" }]),
    60_000,
  );
});
