import { compareListOrder, type ListQuery } from "@store/core/backend";

/** What the index knows of one entry: its metadata, and how to recognise the file it describes. */
export interface EntryMeta {
  key: string;
  /** The value file's name (see key-encoding). */
  name: string;
  /** Grows with every write of the key; never repeats one removed from the project (the floor). */
  version: number;
  updatedAt: string;
  createdAt: string;
  taskId: string;
  /** Size, mtime (ms, as fs.Stats reports it) and inode of the file when it was written. A file that
   *  differs in any of them was replaced by someone the index has not heard of yet. */
  bytes: number;
  mtime: number;
  ino: number;
  /** Set once a newer version or a delete supersedes this object (it stays in `order` until swept). */
  dead?: boolean;
}

/** The array order is list order reversed: oldest first, so the common put (the newest) is a push. */
function compareOldestFirst(
  a: Pick<EntryMeta, "updatedAt" | "key">,
  b: Pick<EntryMeta, "updatedAt" | "key">,
) {
  return -compareListOrder(a, b);
}

/**
 * The entries of one (store, project) in memory: a map by key, and an array in list order (reversed)
 * with lazily swept tombstones, so list, cursor paging and prune touch only the entries they return.
 */
export class EntryIndex {
  private readonly byKey = new Map<string, EntryMeta>();
  private order: EntryMeta[] = [];
  private deadCount = 0;
  private bulk = false;

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): EntryMeta | undefined {
    return this.byKey.get(key);
  }

  values(): IterableIterator<EntryMeta> {
    return this.byKey.values();
  }

  /** Inserts or replaces the entry of `meta.key`. */
  set(meta: EntryMeta): void {
    const old = this.byKey.get(meta.key);
    if (old) this.bury(old);
    this.byKey.set(meta.key, meta);
    if (this.bulk) return;
    const last = this.order[this.order.length - 1];
    if (!last || compareOldestFirst(last, meta) < 0) {
      this.order.push(meta);
      return;
    }
    this.order.splice(this.upperBound(meta), 0, meta);
  }

  delete(key: string): EntryMeta | undefined {
    const old = this.byKey.get(key);
    if (!old) return undefined;
    this.byKey.delete(key);
    this.bury(old);
    return old;
  }

  clear(): void {
    this.byKey.clear();
    this.order = [];
    this.deadCount = 0;
  }

  /** Loading a whole log: collect first, sort once at `endBulk` (a log need not be in order). */
  beginBulk(): void {
    this.bulk = true;
  }

  endBulk(): void {
    this.bulk = false;
    this.order = [...this.byKey.values()];
    this.deadCount = 0;
    // Compaction writes entries oldest first, so this is usually one linear pass (TimSort).
    this.order.sort(compareOldestFirst);
  }

  /** Live entries, oldest first (what prune removes first). */
  *oldestFirst(): Generator<EntryMeta> {
    for (const m of this.order) if (!m.dead) yield m;
  }

  /** Live entries in list order (newest first), from the oldest entries kept by `notBefore`. */
  page(query: ListQuery): EntryMeta[] {
    const out: EntryMeta[] = [];
    let skip = query.offset;
    let i = (query.after ? this.lowerBound(query.after) : this.order.length) - 1;
    for (; i >= 0 && out.length < query.limit; i--) {
      const m = this.order[i] as EntryMeta;
      if (m.dead) continue;
      if (query.notBefore !== undefined && m.updatedAt < query.notBefore) break;
      if (skip > 0) {
        skip--;
        continue;
      }
      out.push(m);
    }
    return out;
  }

  private bury(meta: EntryMeta): void {
    meta.dead = true;
    if (this.bulk) return;
    this.deadCount++;
    if (this.deadCount > 64 && this.deadCount * 2 > this.order.length) {
      this.order = this.order.filter((m) => !m.dead);
      this.deadCount = 0;
    }
  }

  /** First position whose entry is not before `target` in the array's order. */
  private lowerBound(target: Pick<EntryMeta, "updatedAt" | "key">): number {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareOldestFirst(this.order[mid] as EntryMeta, target) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First position whose entry comes after `target` in the array's order. */
  private upperBound(target: Pick<EntryMeta, "updatedAt" | "key">): number {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareOldestFirst(this.order[mid] as EntryMeta, target) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
