/**
 * The limit for protocol v1: a bare `child_process.spawn` of `sh -c <the same command>` with the same
 * protocol environment, collecting stdout until the child closes. No queue, no timeout timer, no
 * process group, no output validation: what any v1 implementation must pay at least.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { keyFor, valueFor } from "../dataset";
import type { Contender } from "../harness";
import { commandSize, HOST_ENV, kvSh } from "./command";
import { check } from "./ours";
import type { ScenarioId, SubjectFactory } from "./types";

/** Runs `sh -c command`; resolves stdout, rejects on a non-zero exit. */
export function bareSpawn(
  command: string,
  cwd: string,
  env: Record<string, string>,
  input?: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("/bin/sh", ["-c", command], {
      cwd,
      env,
      stdio: [input === undefined ? "ignore" : "pipe", "pipe", "inherit"],
    });
    const chunks: Buffer[] = [];
    child.stdout?.on("data", (c: Buffer) => chunks.push(c));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(Buffer.concat(chunks).toString("utf8"));
      else reject(new Error(`sh -c ${command} exited with ${code}`));
    });
    if (input !== undefined && child.stdin) {
      child.stdin.on("error", () => {});
      child.stdin.end(input);
    }
  });
}

export const rawSpawnSubject: SubjectFactory = {
  id: "spawn-sh",
  label: "limit: bare child_process.spawn of sh -c (same command)",
  kind: "limit",
  family: "command",
  packages: [],
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
      return bareSpawn(
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
    const get = (i: number) => bareSpawn(`${kvSh()} get`, cwd, env("get", { KEY: keyFor(i) }));
    const probe = ctx.keys.at(0) % size;
    check((await get(probe)).includes(`"id":${probe},`), "spawn-sh get");

    const c: Partial<Record<ScenarioId, Contender>> = {
      get: {
        id: "spawn-sh",
        note: `sh -c "kv.sh get", ${size.toLocaleString("en-US")} entries`,
        async run(ops, start) {
          for (let j = 0; j < ops; j++) await get(ctx.keys.at(start + j) % size);
        },
      },
      put: {
        id: "spawn-sh",
        note: 'sh -c "kv.sh put", value in $VALUE and on stdin',
        async run(ops, start) {
          for (let j = 0; j < ops; j++) await put(ctx.keys.at(start + j) % size, start + j);
        },
      },
    };
    return { id: "spawn-sh", contenders: c, entries: size, close() {} };
  },
};
