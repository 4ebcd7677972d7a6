import type { PutRecord } from "@store/core/backend";

/**
 * An import without a native batch: one put per record, distinct keys side by side (the gate bounds
 * them), repeats of one key in their order. Rejects with the first failure once every put settled.
 */
export async function putEach(
  records: PutRecord[],
  put: (record: PutRecord) => Promise<unknown>,
): Promise<void> {
  const chains = new Map<string, Promise<unknown>>();
  for (const record of records) {
    const previous = chains.get(record.key);
    chains.set(record.key, previous ? previous.then(() => put(record)) : put(record));
  }
  const failed = (await Promise.allSettled(chains.values())).find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
}
