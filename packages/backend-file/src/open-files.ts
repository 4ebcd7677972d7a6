/**
 * A process-wide cap on file descriptors held open for reuse (one log per store directory): the
 * least recently used holder is asked to close its file when a new one would exceed the cap.
 */
export class OpenFiles<T> {
  private readonly holders = new Set<T>();

  constructor(
    private readonly cap: number,
    private readonly close: (holder: T) => void,
  ) {}

  add(holder: T): void {
    this.holders.delete(holder);
    this.holders.add(holder);
    if (this.holders.size <= this.cap) return;
    const oldest = this.holders.values().next().value as T;
    this.holders.delete(oldest);
    this.close(oldest);
  }

  touch(holder: T): void {
    this.holders.delete(holder);
    this.holders.add(holder);
  }

  delete(holder: T): void {
    this.holders.delete(holder);
  }
}
