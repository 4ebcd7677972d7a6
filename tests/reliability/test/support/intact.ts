import type { StoreManager } from "@store/core";

/** Stores (and projects) whose every entry the hostile cases must leave exactly as it was. */
export interface Watched {
  store: string;
  project?: string;
}

/** Every entry of the watched stores, with its metadata, as one string to compare. */
export async function snapshot(manager: StoreManager, watched: Watched[]): Promise<string> {
  const parts: unknown[] = [];
  for (const w of watched) {
    const store = manager.store(w.store, w.project ? { project: w.project } : {});
    parts.push(w, await store.list({ limit: 1000 }));
  }
  return JSON.stringify(parts);
}
