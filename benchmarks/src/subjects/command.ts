/**
 * `@store/backend-command` through StoreManager, with the reference providers its package keeps:
 * v1 = providers/kv.sh run as `sh -c "…/kv.sh <op>"` strings (one process per op), v2 =
 * providers/kv-v2.mjs (one long-running Node process answering JSON lines, journaled to disk).
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { Dataset, DeleteOrder, KeySequence, keyFor } from "../dataset";
import type { Contender } from "../harness";
import { loadBackend, loadCore, oursContenders, storeManifests } from "./ours";
import type { ScenarioId, SubjectContext, SubjectFactory } from "./types";

/**
 * Entries the v1 subjects hold: kv.sh's list reads every entry file, and seeding spawns once per
 * entry. 1,000 (150 in a quick run).
 */
export function commandSize(size: number, quick: boolean): number {
  return Math.min(size, quick ? 150 : 1000);
}

let providersDir: string | undefined;

/** The reference providers' directory inside the installed @store/backend-command. */
export function providers(): string {
  providersDir ??= path.join(
    path.dirname(createRequire(import.meta.url).resolve("@store/backend-command/package.json")),
    "providers",
  );
  return providersDir;
}

export const KV_SH_NAME = "kv.sh";
export const KV_V2_NAME = "kv-v2.mjs";

/** Absolute path of kv.sh, resolved on first use (so a missing package fails that subject only). */
export function kvSh(): string {
  return path.join(providers(), KV_SH_NAME);
}

/** The host variables the backend passes to every command (its documented minimal set). */
export const HOST_ENV: Record<string, string> = (() => {
  const names = ["PATH", "HOME", "USER", "LOGNAME", "SHELL", "TMPDIR", "TZ", "LANG", "LANGUAGE"];
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && (names.includes(k) || k.startsWith("LC_"))) env[k] = v;
  }
  return env;
})();

/** Runs `n` tasks with at most `width` in flight. */
export async function inFlight(
  n: number,
  width: number,
  task: (j: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(width, n) }, worker));
}

function provider(name: string, spec: Record<string, unknown>) {
  return { apiVersion: "wfstore.dev/v1", kind: "StoreBackendProvider", metadata: { name }, spec };
}

async function commandSubject(
  id: string,
  ctx: SubjectContext,
  spec: (dir: string) => Record<string, unknown>,
  v1: boolean,
) {
  const core = await loadCore();
  const backend = await loadBackend("@store/backend-command", "commandBackend");
  const dir = path.join(ctx.dir, "provider");
  fs.mkdirSync(dir, { recursive: true });
  const manager = new core.StoreManager({
    dataDir: ctx.dir,
    backends: [backend],
    resources: core.loadManifests(storeManifests(id, [provider(id, spec(dir))])),
  });
  // v1 holds fewer entries (see commandSize); its scenarios get their own, smaller dataset.
  const size = v1 ? commandSize(ctx.size, ctx.quick) : ctx.size;
  const sub: SubjectContext =
    size === ctx.size
      ? ctx
      : {
          ...ctx,
          size,
          dataset: new Dataset(size, size / 2, ctx.dataset.now),
          keys: new KeySequence(size),
          deletes: new DeleteOrder(size, size / 2),
        };
  const skip: Partial<Record<ScenarioId, string>> = v1
    ? {
        "deep-offset": "v1 lists by OFFSET only; see v2",
        "deep-cursor": "v1 lists by OFFSET only; see v2",
        "prune-age": "reseeding costs one process per entry",
        "prune-count": "reseeding costs one process per entry",
        import: "one process per entry",
        // Seeding the 500 entries of the retention store alone costs seconds; only in a full run.
        ...(ctx.quick ? { "put-retention": "skipped in a quick run" } : {}),
      }
    : {};
  const contenders = await oursContenders(id, core, manager, sub, {
    schemaEntries: v1 ? (ctx.quick ? 50 : 100) : ctx.size,
    skip,
    singleShotRounds: size > 50_000 ? 3 : undefined,
  });
  const main = manager.store("bench");
  const width = 64;
  contenders["get-64"] = {
    id,
    note: v1 ? "64 submitted; the backend's queue runs 8 processes at once" : "64 requests in flight",
    async run(ops, start) {
      await inFlight(ops, width, (j) => main.get(keyFor(sub.keys.at(start + j))));
    },
  } satisfies Contender;
  if (v1) {
    for (const s of ["get", "put", "delete", "newest-50"] as const) {
      const c = contenders[s];
      if (c) c.note = `${size.toLocaleString("en-US")} entries`;
    }
  }
  return { id, contenders, entries: size, close: () => manager.close() };
}

export const commandV1Subject: SubjectFactory = {
  id: "command-v1",
  label: "ours: command v1 (kv.sh, one process per op) via StoreManager",
  kind: "ours",
  family: "command",
  packages: ["@store/backend-command"],
  create: (ctx) =>
    commandSubject(
      "command-v1",
      ctx,
      (dir) => {
        const op = (name: string) => `${kvSh()} ${name}`;
        return {
          commands: {
            get: op("get"),
            put: op("put"),
            delete: op("delete"),
            list: op("list"),
            prune: op("prune"),
          },
          working_dir: dir,
        };
      },
      true,
    ),
};

export const commandV2Subject: SubjectFactory = {
  id: "command-v2",
  label: "ours: command v2 (kv-v2.mjs, long-running) via StoreManager",
  kind: "ours",
  family: "command",
  packages: ["@store/backend-command"],
  create: (ctx) =>
    commandSubject(
      "command-v2",
      ctx,
      (dir) => ({ process: [process.execPath, path.join(providers(), KV_V2_NAME)], working_dir: dir }),
      false,
    ),
};
