import { closedError, type OpLabel } from "./errors";
import { Semaphore } from "./queue";

/**
 * What both protocols do around every op: at most `concurrency` at once (FIFO), CLOSED after close(),
 * and close() waiting for the ops already running.
 */
export class OpGate {
  private readonly queue: Semaphore;
  private readonly running = new Set<Promise<unknown>>();
  private closed = false;

  constructor(concurrency: number) {
    this.queue = new Semaphore(concurrency);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  run<T>(label: OpLabel, task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(closedError(label));
    const op = this.queue.run(() => (this.closed ? Promise.reject(closedError(label)) : task()));
    this.running.add(op);
    const forget = () => this.running.delete(op);
    op.then(forget, forget);
    return op;
  }

  /** Refuses new ops; queued ones fail with CLOSED, running ones finish (each has its timeout). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.running]);
  }
}
