import type { OutputStream } from "./io";

/**
 * A one-line progress display on stderr for export and import: entries so far, entries per second,
 * and, when the input's size is known, a bar, a percentage and an ETA. Draws only when stderr is a
 * terminal (piped or redirected, it prints nothing at all) and at most ten times a second.
 */
export class Progress {
  private readonly enabled: boolean;
  private readonly started = Date.now();
  private lastDraw = 0;
  private count = 0;
  private done = 0;
  private drawn = false;

  constructor(
    private readonly stream: OutputStream,
    private readonly label: string,
    /** The total, in the unit of `done` (bytes of an input file), when known. */
    private readonly total?: number,
  ) {
    this.enabled = stream.isTTY === true;
  }

  /** `count` entries so far; `done` how far through the total (bytes read). */
  update(count: number, done?: number): void {
    this.count = count;
    if (done !== undefined) this.done = done;
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.draw(now);
  }

  /** Clears the line; the command then prints its one-line summary. */
  finish(): void {
    if (this.enabled && this.drawn) this.stream.write("\r\x1b[K");
  }

  private draw(now: number): void {
    const seconds = Math.max((now - this.started) / 1000, 0.001);
    const rate = this.count / seconds;
    let text = `${this.label}  ${this.count.toLocaleString("en-US")} entries  ${formatRate(rate)}/s`;
    if (this.total && this.total > 0) {
      const fraction = Math.min(1, this.done / this.total);
      const width = 24;
      const full = Math.round(fraction * width);
      const eta = fraction > 0 ? (seconds / fraction) * (1 - fraction) : undefined;
      text += `  [${"#".repeat(full)}${"-".repeat(width - full)}] ${Math.floor(fraction * 100)}%`;
      if (eta !== undefined && fraction < 1) text += `  ETA ${formatDuration(eta)}`;
    }
    const columns = this.stream.columns || 80;
    this.stream.write(`\r\x1b[K${text.slice(0, Math.max(0, columns - 1))}`);
    this.drawn = true;
  }
}

function formatRate(rate: number): string {
  return rate >= 1000 ? `${(rate / 1000).toFixed(1)}k` : rate.toFixed(0);
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.ceil(seconds % 60);
  return m < 60
    ? `${m}m${String(s).padStart(2, "0")}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}
