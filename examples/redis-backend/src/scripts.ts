import type { ChainableCommander, Redis } from "ioredis";
import { DELETE, GET, LIST, PRUNE, PUT } from "./lua";

/** Script names as ioredis commands (`client.wfstorePut(...)`); prefixed so no Redis command clashes. */
const NAMES = {
  put: "wfstorePut",
  delete: "wfstoreDelete",
  get: "wfstoreGet",
  list: "wfstoreList",
  prune: "wfstorePrune",
} as const;

export type ScriptName = keyof typeof NAMES;

/**
 * For the client's `scripts` option: ioredis then runs each with EVALSHA and, when the server does
 * not know the script yet (after a restart or SCRIPT FLUSH), sends it with EVAL once.
 */
export const SCRIPT_DEFINITIONS: Record<string, { lua: string; numberOfKeys: number }> = {
  [NAMES.put]: { lua: PUT, numberOfKeys: 4 },
  [NAMES.delete]: { lua: DELETE, numberOfKeys: 4 },
  [NAMES.get]: { lua: GET, numberOfKeys: 4 },
  [NAMES.list]: { lua: LIST, numberOfKeys: 4 },
  [NAMES.prune]: { lua: PRUNE, numberOfKeys: 4 },
};

export type ScriptArg = string | Buffer | number;
type ScriptFunction = (...args: ScriptArg[]) => unknown;

/** Looks a script's method up: ioredis adds them at run time, so its types do not know them. */
function method(client: Redis | ChainableCommander, name: ScriptName, buffers: boolean): ScriptFunction {
  const fn = (client as unknown as Record<string, ScriptFunction | undefined>)[
    `${NAMES[name]}${buffers ? "Buffer" : ""}`
  ];
  if (typeof fn !== "function") throw new Error(`the Redis client has no script ${NAMES[name]}`);
  return fn;
}

/**
 * Runs a script and resolves its reply. `buffers` asks for the reply as Buffers (the `…Buffer`
 * variant), for replies that hold encoded keys.
 */
export function runScript(
  client: Redis,
  name: ScriptName,
  keys: readonly string[],
  args: readonly ScriptArg[],
  buffers = false,
): Promise<unknown> {
  return method(client, name, buffers).call(client, ...keys, ...args) as Promise<unknown>;
}

/** Queues a script on a pipeline; `pipeline.exec()` sends the lot in one round trip. */
export function queueScript(
  pipeline: ChainableCommander,
  name: ScriptName,
  keys: readonly string[],
  args: readonly ScriptArg[],
): void {
  method(pipeline, name, false).call(pipeline, ...keys, ...args);
}
