/**
 * `update()` under contention (issue 11): 8 processes each increment one shared counter through
 * `update()`, on one store. Reported as completed increments per second per backend, with the final
 * value checked: a figure for a counter that lost updates would be worthless. No target: it tells
 * users what a hot key costs on each backend.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The id `--only` selects this benchmark by. */
export const CONTENTION_ID = "contention";

const PROCESSES = 8;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const dist = (pkg: string) => pathToFileURL(path.join(repoRoot, "packages", pkg, "dist", "index.js")).href;

/** One process: `increments` updates of the counter, then "done" on stdout. */
const WORKER = `
const [backendUrl, optionsJson, increments] = process.argv.slice(2);
const { ResourceSet, StoreManager } = await import(${JSON.stringify(dist("core"))});
const backend = (await import(backendUrl)).default;
const provider = { name: "bench", mode: "plugin", plugin: backend.name, spec: { plugin: backend.name, options: JSON.parse(optionsJson) } };
const m = new StoreManager({
  dataDir: process.env.DATA_DIR,
  backends: [backend],
  defaultProvider: "bench",
  resources: new ResourceSet({ providers: [provider] }),
});
const s = m.store("contention");
for (let i = 0; i < Number(increments); i++) await s.update("counter", (n) => (n ?? 0) + 1);
await m.close();
`;

interface Backend {
  id: string;
  pkg: string;
  options: (dataDir: string) => Record<string, unknown>;
  cleanup?: () => Promise<void>;
}

export async function measureContention(options: {
  quick: boolean;
  log: (line: string) => void;
}): Promise<{ note: string }> {
  const { log } = options;
  const increments = options.quick ? 25 : 200;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "wfstore-bench-contention-"));
  const worker = path.join(root, "worker.mjs");
  fs.writeFileSync(worker, WORKER);
  const backends: Backend[] = [
    { id: "local", pkg: dist("backend-local"), options: () => ({}) },
    { id: "file", pkg: dist("backend-file"), options: () => ({}) },
  ];
  log("");
  log(`━━ update() under contention: ${PROCESSES} processes × ${increments} increments of one key ━━`);
  const figures: string[] = [];
  try {
    for (const b of backends) {
      const dataDir = path.join(root, b.id);
      fs.mkdirSync(dataDir);
      const started = performance.now();
      await Promise.all(
        Array.from({ length: PROCESSES }, () =>
          run(process.execPath, [worker, b.pkg, JSON.stringify(b.options(dataDir)), String(increments)], {
            ...process.env,
            DATA_DIR: dataDir,
          }),
        ),
      );
      const seconds = (performance.now() - started) / 1000;
      const final = await readCounter(b, dataDir);
      const expected = PROCESSES * increments;
      if (final !== expected) throw new Error(`${b.id}: the counter ended at ${final}, not ${expected}`);
      const rate = expected / seconds;
      figures.push(`${b.id} ${Math.round(rate).toLocaleString("en-US")} increments/s`);
      log(
        `  ${b.id.padEnd(8)} ${Math.round(rate).toLocaleString("en-US").padStart(8)} increments/s (final value ${final}, exact)`,
      );
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  return {
    note: `update() under contention (issue 11): ${PROCESSES} processes × ${increments} increments of one key, whole processes, every increment kept: ${figures.join(", ")}.`,
  };
}

async function readCounter(b: Backend, dataDir: string): Promise<unknown> {
  const { StoreManager, ResourceSet } = (await import(dist("core"))) as typeof import("@store/core");
  const backend = ((await import(b.pkg)) as { default: { name: string } }).default;
  const m = new StoreManager({
    dataDir,
    backends: [backend as never],
    defaultProvider: "bench",
    resources: new ResourceSet({
      providers: [
        {
          name: "bench",
          mode: "plugin",
          plugin: backend.name,
          spec: { plugin: backend.name, options: b.options(dataDir) },
        },
      ],
    }),
  });
  try {
    return await m.store("contention").get("counter");
  } finally {
    await m.close();
  }
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`worker exited ${code}: ${stderr}`)),
    );
  });
}
