import commandBackend from "@store/backend-command";
import fileBackend from "@store/backend-file";
import localBackend from "@store/backend-local";
import { type JsonValue, loadManifests, StoreManager } from "@store/core";
import { say } from "./print";

/**
 * How a worker uses the library: load the manifests, open a manager, run the task, close it. Each
 * task opens its own manager, exactly as a task in a separate worker process would: whatever one
 * task wants the next to know must go through the store.
 */
export async function runTask<T>(
  setup: { dataDir: string; manifests: string[] },
  task: (manager: StoreManager) => Promise<T>,
): Promise<T> {
  const manager = new StoreManager({
    dataDir: setup.dataDir,
    resources: loadManifests({ paths: setup.manifests }),
    backends: [localBackend, fileBackend, commandBackend],
  });
  try {
    return await task(manager);
  } finally {
    await manager.close();
  }
}

export interface Metrics {
  test_count: number;
  duration_ms: number;
  failures: string[];
  [field: string]: JsonValue;
}

/** The benchmark task: runs the test suite (simulated) and records what it measured. */
export async function benchmarkTask(manager: StoreManager, taskId: string, result: Metrics): Promise<void> {
  const metrics = manager.store("metrics");
  await metrics.put(`runs/${taskId}`, result, { taskId });
  await metrics.put("last-benchmark", result, { taskId });
  await manager.store("journal").put(`${taskId}`, { did: `ran ${result.test_count} tests` }, { taskId });
  say.task(
    taskId,
    `ran ${result.test_count} tests in ${result.duration_ms} ms, ${result.failures.length} failing → metrics/last-benchmark`,
  );
}

export interface Plan {
  readFrom: string;
  writtenAt: string;
  steps: string[];
}

/** The plan task, later and elsewhere: reads what the benchmark learned and plans around it. */
export async function planTask(manager: StoreManager, taskId: string): Promise<Plan> {
  const metrics = manager.store("metrics");
  const last = await metrics.getEntry("last-benchmark");
  if (!last) throw new Error("no benchmark yet: the plan task has nothing to go on");
  const now = last.value as Metrics;
  say.task(taskId, `metrics.get("last-benchmark") → written by ${last.taskId} at ${last.updatedAt}`);
  // The run before the last one, from the same store: newest first, so it is the second "runs/" entry.
  const runs = (await metrics.list({ limit: 10 })).filter((e) => e.key.startsWith("runs/"));
  const previous = runs[1]?.value as Metrics | undefined;
  const steps: string[] = [];
  for (const f of now.failures) steps.push(`fix the failing test "${f}"`);
  if (previous && now.duration_ms > previous.duration_ms * 1.05) {
    const pct = Math.round((now.duration_ms / previous.duration_ms - 1) * 100);
    steps.push(
      `look into the slowdown: ${previous.duration_ms} ms → ${now.duration_ms} ms (+${pct}%) since ${runs[1]?.taskId}`,
    );
  }
  if (steps.length === 0) steps.push("nothing to fix: ship it");
  for (const s of steps) say.task(taskId, `plan: ${s}`);
  await manager.store("journal").put(taskId, { did: `planned ${steps.length} steps` }, { taskId });
  // A lesson for whoever comes next, kept by the command provider (examples/kv-store.mjs).
  await manager
    .store("notes")
    .put(`lesson/${taskId}`, `check metrics/last-benchmark before planning (${steps.length} steps today)`, {
      taskId,
    });
  say.task(taskId, `notes.put("lesson/${taskId}") → served by the kv-script command provider`);
  return { readFrom: last.taskId, writtenAt: last.updatedAt, steps };
}
