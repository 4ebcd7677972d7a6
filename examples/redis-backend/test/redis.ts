import { Redis } from "ioredis";

/** The server the tests use: REDIS_URL, else the local default. */
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/**
 * A namespace for one test file: every key it creates lies under it, each check under its own
 * `<run>:<n>:` below that, so runs and checks never meet and cleanup is a prefix delete.
 */
export function testNamespace(file: string) {
  const run = `wfstore-test:${file}:${process.pid}-${Date.now().toString(36)}:`;
  let n = 0;
  return {
    run,
    /** A fresh key prefix under the run's. */
    next: () => `${run}${++n}:`,
  };
}

/** Redis glob characters in a prefix, escaped for SCAN MATCH. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}

let admin: Redis | undefined;

/** A plain client for looking at what the backend wrote, shared by a test file. */
export function adminClient(): Redis {
  admin ??= new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1 });
  return admin;
}

export async function closeAdminClient(): Promise<void> {
  await admin?.quit();
  admin = undefined;
}

/** Every Redis key under `prefix` (SCAN, never KEYS). */
export async function keysUnder(prefix: string): Promise<string[]> {
  const found: string[] = [];
  const stream = adminClient().scanStream({ match: `${globEscape(prefix)}*`, count: 1000 });
  for await (const batch of stream) found.push(...(batch as string[]));
  return found.sort();
}

/** Deletes every key under `prefix`; resolves how many it deleted. */
export async function deleteUnder(prefix: string): Promise<number> {
  const keys = await keysUnder(prefix);
  for (let i = 0; i < keys.length; i += 500) await adminClient().unlink(...keys.slice(i, i + 500));
  return keys.length;
}
