import { LIMITS } from "@store/core";

/** About how much entry JSON one page may hold: values of 16 MiB come one at a time. */
export const PAGE_BYTES = 8 * 1024 * 1024;

/**
 * Sizes pages by bytes as well as by count. A backend returns a whole page at once, so the page size
 * is what bounds memory: after each page the next limit is the budget over the largest entry seen so
 * far (never more than 8× the last limit, never past 1000). Small entries reach pages of 1000 within
 * three or four pages; 16 MiB entries are read one by one. Sizes are string lengths of entry JSON.
 */
export class PageSizer {
  private largest = 0;

  constructor(
    private current: number,
    private readonly budget = PAGE_BYTES,
  ) {}

  get limit(): number {
    return this.current;
  }

  /** After a page: `size` is the length of the largest entry's JSON in it. */
  observe(size: number): void {
    this.largest = Math.max(this.largest, size, 1);
    const byBytes = Math.floor(this.budget / this.largest);
    this.current = Math.max(1, Math.min(LIMITS.listMaxLimit, this.current * 8, byBytes));
  }
}
