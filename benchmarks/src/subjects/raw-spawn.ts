/**
 * The limit for protocol v1: execa's own floor. A bare `execa("/bin/sh", ["-c", <the same command>])`
 * with the same protocol environment, working directory and stdin, run by the execa the backend itself
 * depends on. No queue, no timeout, no process group, no output validation, no core: what any v1
 * implementation on execa must pay at least.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { keyFor, valueFor } from "../dataset";
import type { Contender } from "../harness";
import { commandSize, HOST_ENV, kvSh } from "./command";
import { check } from "./ours";
import type { ScenarioId, SubjectFactory } from "./types";

type Execa = (file: string, args: string[], options: Record<string, unknown>) => Promise<{ stdout: string }>;

let loaded: Promise<Execa> | undefined;

/** The execa that @store/backend-command resolves (the benchmarks do not depend on execa themselves). */
function execaOfBackend(): Promise<Execa> {
  loaded ??= (async () => {
    const backend = createRequire(import.meta.url).resolve("@store/backend-command/package.json");
    const entry = createRequire(backend).resolve("execa");
    const mod = (await import(pathToFileURL(entry).href)) as { execa: Execa };
    return mod.execa;
  })();
  return loaded;
}

/** Runs `sh -c command` through execa; resolves stdout, rejects on a non-zero exit. */
export async function bareExeca(
  command: string,
  cwd: string,
  env: Record<string, string>,
  input?: string,
): Promise<string> {
  const execa = await execaOfBackend();
  const result = await execa("/bin/sh", ["-c", command], {
    cwd,
    env,
    extendEnv: false,
    ...(input === undefined ? { stdin: "ignore" } : { input }),
  });
  return result.stdout;
}

export const rawSpawnSubject: SubjectFactory = {
  id: "execa-sh",
  label: "limit: bare execa call of sh -c (same command, the backend's own execa)",
  kind: "limit",
  family: "command",
  packages: ["@store/backend-command"],
  async create(ctx) {
    const cwd = path.join(ctx.dir, "kv");
    const size = commandSize(ctx.size, ctx.quick);
    const env = (op: string, extra: Record<string, string>) => ({
      ...HOST_ENV,
      STORE_OP: op,
      STORE_NAME: "bench",
      PROJECT_ID: "",
      ...extra,
    });
    const put = (i: number, rev: number) => {
      const json = JSON.stringify(valueFor(i, rev));
      return bareExeca(
        `${kvSh()} put`,
        cwd,
        env("put", { KEY: keyFor(i), TASK_ID: "bench", UPDATED_AT: new Date().toISOString(), VALUE: json }),
        json,
      );
    };
    // Seeded with the same command, so a get reads an entry file exactly as the backend's does.
    fs.mkdirSync(cwd, { recursive: true });
    for (let i = 0; i < size; i += 8) {
      await Promise.all(Array.from({ length: Math.min(8, size - i) }, (_, k) => put(i + k, 0)));
    }
    const get = (i: number) => bareExeca(`${kvSh()} get`, cwd, env("get", { KEY: keyFor(i) }));
    const probe = ctx.keys.at(0) % size;
    check((await get(probe)).includes(`"id":${probe},`), "execa-sh get");

    const c: Partial<Record<ScenarioId, Contender>> = {
      get: {
        id: "execa-sh",
        note: `sh -c "kv.sh get", ${size.toLocaleString("en-US")} entries`,
        async run(ops, start) {
          for (let j = 0; j < ops; j++) await get(ctx.keys.at(start + j) % size);
        },
      },
      put: {
        id: "execa-sh",
        note: 'sh -c "kv.sh put", value in $VALUE and on stdin',
        async run(ops, start) {
          for (let j = 0; j < ops; j++) await put(ctx.keys.at(start + j) % size, start + j);
        },
      },
    };
    return { id: "execa-sh", contenders: c, entries: size, close() {} };
  },
};
