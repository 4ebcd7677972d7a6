import type { Writable } from "node:stream";

/** Splits a byte stream into `\n`-terminated lines of at most `maxLine` bytes (empty lines skipped). */
export class LineReader {
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private stopped = false;
  /** When the last complete line arrived (performance.now()). */
  lastLineAt = 0;

  constructor(
    private readonly maxLine: number,
    private readonly onLine: (line: string) => void,
    private readonly onTooLong: () => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    let newline = chunk.indexOf(10);
    while (newline !== -1 && !this.stopped) {
      if (this.partialBytes + newline - start > this.maxLine) {
        this.tooLong();
        return;
      }
      let line: string;
      if (this.partial.length > 0) {
        this.partial.push(chunk.subarray(start, newline));
        line = Buffer.concat(this.partial).toString("utf8");
        this.partial = [];
        this.partialBytes = 0;
      } else {
        line = chunk.toString("utf8", start, newline);
      }
      this.lastLineAt = performance.now();
      if (line.length > 0) this.onLine(line);
      start = newline + 1;
      newline = chunk.indexOf(10, start);
    }
    if (start < chunk.length && !this.stopped) {
      this.partial.push(start === 0 ? chunk : chunk.subarray(start));
      this.partialBytes += chunk.length - start;
      if (this.partialBytes > this.maxLine) this.tooLong();
    }
  }

  private tooLong(): void {
    this.stopped = true;
    this.partial = [];
    this.partialBytes = 0;
    this.onTooLong();
  }
}

/** Writes lines to a stream; lines written in the same tick leave in one write (one syscall for 64). */
export class LineWriter {
  private corked = false;

  constructor(private readonly stream: Writable) {}

  write(line: string): void {
    if (!this.corked) {
      this.corked = true;
      this.stream.cork();
      process.nextTick(() => {
        this.corked = false;
        this.stream.uncork();
      });
    }
    this.stream.write(line);
  }
}
