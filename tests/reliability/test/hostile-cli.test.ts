import fs from "node:fs";
import path from "node:path";
import type { StoreManager } from "@store/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertCliBuilt, type CliRun, wfstore } from "./support/cli";
import { snapshot } from "./support/intact";
import { managerOn } from "./support/stores";
import { makeTarget, type Target } from "./support/targets";

/**
 * Issue 14, hostile input at the process boundary: the built `wfstore` given bytes, arguments and
 * manifests a careless user or an attacker would give it. Each case asserts, in one comparison, the
 * exit code, the error code on its one stderr line (`wfstore: error CODE: …`), that no raw control
 * character reaches the terminal, and that the stored entries and the applied resources are as
 * they were.
 */
let target: Target;
let manager: StoreManager;
let env: Record<string, string>;

const APPLIED = `apiVersion: wfstore.dev/v1
kind: WorkflowStore
metadata: { name: victim }
spec: { provider: file }
---
apiVersion: wfstore.dev/v1
kind: StoreBackendProvider
metadata: { name: failing }
spec:
  commands: { get: "echo oops >&2; exit 7", put: "exit 7", delete: "exit 7", list: "exit 7" }
---
apiVersion: wfstore.dev/v1
kind: StoreBackendProvider
metadata: { name: slow }
spec:
  commands: { get: "sleep 30", put: "sleep 30", delete: "sleep 30", list: "sleep 30" }
  timeout_seconds: 0.5
---
apiVersion: wfstore.dev/v1
kind: WorkflowStore
metadata: { name: fails }
spec: { provider: failing }
---
apiVersion: wfstore.dev/v1
kind: WorkflowStore
metadata: { name: hangs }
spec: { provider: slow }
---
apiVersion: wfstore.dev/v1
kind: StoreBackendProvider
metadata: { name: missing-plugin }
spec: { plugin: "@acme/store-backend-not-installed" }
---
apiVersion: wfstore.dev/v1
kind: WorkflowStore
metadata: { name: unplugged }
spec: { provider: missing-plugin }
`;

/** Every file the CLI keeps for applied resources, with its content. */
function appliedFiles(): string {
  const dir = path.join(target.dataDir, ".wfstore-cli");
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile())
      out.push(path.join(e.parentPath, e.name), fs.readFileSync(path.join(e.parentPath, e.name), "utf8"));
  }
  return out.sort().join("\n");
}

async function state(): Promise<string> {
  return `${await snapshot(manager, [{ store: "victim" }])}\n${appliedFiles()}`;
}

interface CliCase {
  name: string;
  script: string;
  input?: string | Buffer;
  exit: number;
  code: string;
}

const W = '"$NODE" "$WFSTORE"';
const CASES: CliCase[] = [
  {
    name: "a key with invalid UTF-8 bytes",
    script: `${W} store put victim "$(printf 'k\\377')" 1`,
    exit: 2,
    code: "INVALID_KEY",
  },
  {
    name: "two keys differing only in invalid bytes",
    script: `${W} store get victim "$(printf 'a\\376')"`,
    exit: 2,
    code: "INVALID_KEY",
  },
  {
    name: "a value on stdin with invalid UTF-8",
    script: `${W} store put victim k`,
    input: Buffer.from([0x22, 0xff, 0x22]),
    exit: 2,
    code: "INVALID_VALUE",
  },
  {
    name: "a value that is not JSON",
    script: `${W} store put victim k '{not json'`,
    exit: 2,
    code: "INVALID_VALUE",
  },
  { name: "a value NaN", script: `${W} store put victim k NaN`, exit: 2, code: "INVALID_VALUE" },
  {
    name: "a value of 17 MiB on stdin",
    script: `${W} store put victim k`,
    input: `"${"v".repeat(17 * 1024 * 1024)}"`,
    exit: 2,
    code: "VALUE_TOO_LARGE",
  },
  {
    name: "a key with a control character",
    script: `${W} store put victim "$(printf 'a\\001b')" 1`,
    exit: 2,
    code: "INVALID_KEY",
  },
  {
    name: "a key with an escape sequence (echoed escaped)",
    script: `${W} store get victim "$(printf '\\033[2J\\033]0;pwned\\007')"`,
    exit: 2,
    code: "INVALID_KEY",
  },
  {
    name: "a key of 513 characters",
    script: `${W} store get victim ${"k".repeat(513)}`,
    exit: 2,
    code: "INVALID_KEY",
  },
  {
    name: "a store name with ../",
    script: `${W} store put ../victim k 1`,
    exit: 2,
    code: "INVALID_ARGUMENT",
  },
  {
    name: "a project id with a slash",
    script: `${W} --project a/b store put victim k 1`,
    exit: 2,
    code: "INVALID_ARGUMENT",
  },
  { name: "list --limit 0", script: `${W} store list victim --limit 0`, exit: 2, code: "INVALID_ARGUMENT" },
  {
    name: "list --limit 1001",
    script: `${W} store list victim --limit 1001`,
    exit: 2,
    code: "INVALID_ARGUMENT",
  },
  {
    name: "list --limit abc",
    script: `${W} store list victim --limit abc`,
    exit: 2,
    code: "INVALID_ARGUMENT",
  },
  {
    name: "list --offset -1",
    script: `${W} store list victim --offset -1`,
    exit: 2,
    code: "INVALID_ARGUMENT",
  },
  {
    name: "prune --max-entries -1",
    script: `${W} store prune victim --max-entries -1`,
    exit: 2,
    code: "INVALID_ARGUMENT",
  },
  {
    name: "prune --ttl-days 1.5",
    script: `${W} store prune victim --ttl-days 1.5`,
    exit: 2,
    code: "INVALID_ARGUMENT",
  },
  { name: "an unknown command", script: `${W} stor get victim a`, exit: 2, code: "USAGE" },
  {
    name: "put --if-version of a stale version",
    script: `${W} store put victim a 2 --if-version 999`,
    exit: 4,
    code: "CONFLICT",
  },
  {
    name: "put --if-absent over a live key",
    script: `${W} store put victim a 2 --if-absent`,
    exit: 4,
    code: "CONFLICT",
  },
  {
    name: "put --if-version 0",
    script: `${W} store put victim a 2 --if-version 0`,
    exit: 2,
    code: "INVALID_ARGUMENT",
  },
  {
    name: "import of February 30th",
    script: `${W} store import victim`,
    input: '{"key":"x","value":1}\n{"key":"y","value":1,"updated_at":"2026-02-30T00:00:00.000Z"}\n',
    exit: 2,
    code: "INVALID_ARGUMENT",
  },
  {
    name: "import of a line that is not JSON",
    script: `${W} store import victim`,
    input: '{"key":"x","value":1}\n{oops\n',
    exit: 2,
    code: "INVALID_VALUE",
  },
  {
    name: "import of a misspelled field",
    script: `${W} store import victim`,
    input: '{"key":"x","value":1,"updatedAt":"2026-01-01T00:00:00.000Z"}\n',
    exit: 2,
    code: "INVALID_ARGUMENT",
  },
  {
    name: "import of invalid UTF-8",
    script: `${W} store import victim`,
    input: Buffer.concat([
      Buffer.from('{"key":"x","value":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}\n'),
    ]),
    exit: 2,
    code: "INVALID_VALUE",
  },
  {
    name: "apply of an invalid manifest",
    script: `printf 'apiVersion: wfstore.dev/v1\\nkind: WorkflowStore\\nmetadata: {name: victim}\\nspec: {retension: {}}\\n' > bad.yaml; ${W} apply -f bad.yaml`,
    exit: 2,
    code: "INVALID_MANIFEST",
  },
  {
    name: "an endless manifest (-f /dev/zero)",
    script: `${W} -f /dev/zero store get victim a`,
    exit: 2,
    code: "INVALID_MANIFEST",
  },
  {
    name: "a store whose provider is not declared",
    script: `printf 'apiVersion: wfstore.dev/v1\\nkind: WorkflowStore\\nmetadata: {name: lost}\\nspec: {provider: nowhere}\\n' > lost.yaml; ${W} -f lost.yaml store get lost a`,
    exit: 2,
    code: "PROVIDER_NOT_FOUND",
  },
  {
    name: "a plugin that is not installed",
    script: `${W} store get unplugged a`,
    exit: 3,
    code: "PLUGIN_NOT_INSTALLED",
  },
  {
    name: "a provider command that fails",
    script: `${W} store get fails a`,
    exit: 3,
    code: "PROVIDER_FAILED",
  },
  {
    name: "a provider command that hangs",
    script: `${W} store get hangs a`,
    exit: 3,
    code: "PROVIDER_TIMEOUT",
  },
];

/** What a case ended with, as one object to compare. */
function outcome(r: CliRun, intact: boolean) {
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  const first = /^wfstore: error ([A-Z_]+): /.exec(lines[0] ?? "");
  return {
    exit: r.code,
    code: first?.[1] ?? `no error line: ${JSON.stringify(r.stderr.slice(0, 200))}`,
    // One error line; an invalid manifest adds one indented line per issue.
    oneLine: lines.slice(1).every((l) => l.startsWith("  ")),
    rawControl: /[\u0000-\u0009\u000b-\u001f\u007f\u202a-\u202e]/.test(r.stderr),
    intact,
  };
}

export const CLI_CASES = CASES;

describe("hostile input at the wfstore command line", () => {
  beforeAll(async () => {
    assertCliBuilt();
    target = makeTarget("file");
    env = { WFSTORE_DATA_DIR: target.dataDir };
    fs.writeFileSync(path.join(target.dataDir, "applied.yaml"), APPLIED);
    const applied = await wfstore(`${W} apply -f applied.yaml`, { env, cwd: target.dataDir });
    if (applied.code !== 0) throw new Error(`apply failed: ${applied.stderr}`);
    manager = managerOn({ spec: { backend: "file", options: {} }, dataDir: target.dataDir });
    for (const key of ["a", "b", "../x", "CON"]) await manager.store("victim").put(key, { key });
  });
  afterAll(async () => {
    await manager?.close();
    await target?.cleanup();
  });

  it.each(CASES.map((c) => [`${c.name} → exit ${c.exit}, ${c.code}`, c] as const))(
    "%s",
    async (_, c) => {
      const before = await state();
      const r = await wfstore(c.script, {
        env,
        cwd: target.dataDir,
        ...(c.input === undefined ? {} : { input: c.input }),
      });
      expect(outcome(r, (await state()) === before)).toEqual({
        exit: c.exit,
        code: c.code,
        oneLine: true,
        rawControl: false,
        intact: true,
      });
    },
    60_000,
  );
});
