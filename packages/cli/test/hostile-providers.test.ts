import { execFileSync, spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, BIN, tempDir, wfstore, write } from "./helpers";

/**
 * The real `wfstore` against command providers that misbehave (issue 13): whatever a provider does,
 * the CLI's exit code holds, it leaves no process behind, it ends, and its messages stay one line of
 * printable text.
 */

/** A v2 provider that stays up when its stdin closes and ignores SIGTERM; "hang" is never answered. */
const STUBBORN = `import { createInterface } from "node:readline";
process.on("SIGTERM", () => {});
setInterval(() => {}, 1 << 30);
const entries = new Map();
createInterface({ input: process.stdin }).on("line", (line) => {
  const m = JSON.parse(line);
  const reply = (body) => process.stdout.write(JSON.stringify({ id: m.id, ...body }) + "\\n");
  if (m.op === "hello") return reply({ ok: true, protocol: 2, capabilities: {} });
  const key = m.key ?? m.entry?.key;
  if (key === "hang") return;
  if (m.op === "put" && key === "refused") {
    process.stderr.write("\\u001b[2J\\u001b]0;owned\\u0007 refusing\\n");
    return reply({ error: "refused: \\u001b[31mno\\u001b[0m \\u202edesrever" });
  }
  if (m.op === "put") return reply({ ok: true, version: 1 });
  if (m.op === "get") return reply({ ok: true, entry: entries.get(key) ?? null });
  reply({ error: "unexpected op " + m.op });
});
`;

/** Pids of live processes whose command line contains `marker` (zombies excluded). */
function processesWith(marker: string): number[] {
  const out = execFileSync("ps", ["-eo", "pid=,stat=,args="], { encoding: "utf8" });
  return out
    .split("\n")
    .filter((line) => line.includes(marker) && !/^\s*\d+\s+Z/.test(line))
    .map((line) => Number.parseInt(line, 10))
    .filter((pid) => pid !== process.pid);
}

async function eventually(test: () => boolean, what: string, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!test()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const newMarker = () => `${Math.floor(100 + Math.random() * 800)}.${process.pid}${Date.now() % 100000}`;
const UNPRINTABLE = /[\u0000-\u0009\u000b-\u001f\u007f\u202e]/; // any control but the final newline

let root: ReturnType<typeof tempDir>;

beforeAll(() => {
  assertBuilt();
  root = tempDir("wfstore-hostile-");
});
afterAll(() => root.cleanup());

/** A manifest with the provider `p` (spec lines given) and the store `s` on it; returns `-f` args. */
function manifest(name: string, spec: string): string[] {
  const file = write(
    path.join(root.dir, name, "stores.yaml"),
    `apiVersion: wfstore.dev/v1
kind: StoreBackendProvider
metadata: { name: p }
spec:
${spec}
---
apiVersion: wfstore.dev/v1
kind: WorkflowStore
metadata: { name: s }
spec: { provider: p }
`,
  );
  return ["--data-dir", path.join(root.dir, name, "data"), "-f", file];
}

describe("exit codes hold whatever a v2 provider does (it ignores stdin EOF and SIGTERM)", () => {
  let args: string[];
  beforeAll(() => {
    const provider = write(path.join(root.dir, "stubborn", "stubborn.mjs"), STUBBORN);
    args = manifest(
      "stubborn",
      `  process: [${JSON.stringify(process.execPath)}, ${JSON.stringify(provider)}]\n  timeout_seconds: 1`,
    );
  });

  it("a put the provider refuses exits 3, with one escaped line on stderr", async () => {
    const r = await wfstore([...args, "store", "put", "s", "refused", "1"]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(
      /^wfstore: error PROVIDER_FAILED: .*refused: \\x1b\[31mno\\x1b\[0m \\u202edesrever/,
    );
    expect(r.stderr).not.toMatch(UNPRINTABLE);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  });

  it("a request that times out exits 3", async () => {
    const r = await wfstore([...args, "store", "get", "s", "hang"]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/PROVIDER_TIMEOUT/);
  });

  it("a get of an absent key exits 1 with nothing on stdout; a put that succeeds exits 0", async () => {
    const absent = await wfstore([...args, "store", "get", "s", "nothing"]);
    expect(absent.code, absent.stderr).toBe(1);
    expect(absent.stdout).toBe("");
    const put = await wfstore([...args, "store", "put", "s", "k", "1"]);
    expect(put.code, put.stderr).toBe(0);
  });
});

describe("an interrupted CLI leaves no process behind", () => {
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    it(`${signal} during \`store get\` kills the v1 command's whole group, then the CLI dies of ${signal}`, async () => {
      const marker = newMarker();
      // sh runs the sleep as its child, in the command's own process group.
      const args = manifest(
        `signal-${signal}`,
        `  commands: { get: "sleep ${marker}; echo 1", put: "true", delete: "true", list: "echo []" }`,
      );
      const cli = spawn(process.execPath, [BIN, ...args, "store", "get", "s", "k"], { stdio: "ignore" });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        cli.on("exit", (code, s) => resolve({ code, signal: s })),
      );
      await eventually(() => processesWith(marker).length > 0, "the command's sleep to start");
      cli.kill(signal);
      const end = await exited;
      expect(end.signal ?? end.code).toBe(signal);
      await eventually(() => processesWith(marker).length === 0, "the command's group to be gone");
    });
  }

  it("SIGTERM while a v2 provider that ignores EOF and SIGTERM is answering kills it too", async () => {
    const marker = newMarker();
    const provider = write(path.join(root.dir, "v2-signal", "stubborn.mjs"), STUBBORN);
    const args = manifest(
      "v2-signal",
      `  process: [${JSON.stringify(process.execPath)}, ${JSON.stringify(provider)}, "${marker}"]\n  timeout_seconds: 60`,
    );
    const cli = spawn(process.execPath, [BIN, ...args, "store", "get", "s", "hang"], { stdio: "ignore" });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => cli.on("exit", (_, s) => resolve(s)));
    await eventually(() => processesWith(marker).length > 0, "the provider to start");
    await new Promise((resolve) => setTimeout(resolve, 500)); // the request is in flight
    cli.kill("SIGTERM");
    expect(await exited).toBe("SIGTERM");
    await eventually(() => processesWith(marker).length === 0, "the provider to be gone");
  });
});

describe("a provider whose list ignores OFFSET", () => {
  it("`store export` ends with exit 3 and PROVIDER_PROTOCOL naming the cause", async () => {
    // Always the first LIMIT entries, whatever OFFSET says: an endless store to a naive pager.
    const list = `awk -v n="$LIMIT" 'BEGIN { printf "["; for (i = 0; i < n; i++) printf "%s{\\"key\\":\\"k%05d\\",\\"value\\":%d,\\"updated_at\\":\\"2026-01-01T00:00:00.000Z\\"}", (i ? "," : ""), i, i; print "]" }'`;
    const args = manifest(
      "offset",
      `  commands: { get: "true", put: "true", delete: "true", list: ${JSON.stringify(list)} }`,
    );
    const r = await wfstore([...args, "store", "export", "s"]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(
      /PROVIDER_PROTOCOL: .*the list makes no progress \(does the provider honour OFFSET\?\)/,
    );
  }, 120_000);
});
