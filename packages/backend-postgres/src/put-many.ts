import type { PutRecord } from "@store/core/backend";

/** Most characters of JSON sent in one `put_many` call, so one statement never carries gigabytes. */
export const PUT_MANY_MAX_CHARS = 32 * 1024 * 1024;

/**
 * Splits an import batch into the statements that write it, in order. A key may appear only once
 * per statement (one row cannot be written twice by one INSERT … ON CONFLICT), so a repeated key
 * starts a new statement, which keeps "the last write wins" and gives the key one version per write.
 */
export function chunksForPutMany(records: PutRecord[], maxChars = PUT_MANY_MAX_CHARS): PutRecord[][] {
  const chunks: PutRecord[][] = [];
  let chunk: PutRecord[] = [];
  let keys = new Set<string>();
  let chars = 0;
  for (const record of records) {
    if (chunk.length > 0 && (keys.has(record.key) || chars + record.json.length > maxChars)) {
      chunks.push(chunk);
      chunk = [];
      keys = new Set();
      chars = 0;
    }
    chunk.push(record);
    keys.add(record.key);
    chars += record.json.length;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
