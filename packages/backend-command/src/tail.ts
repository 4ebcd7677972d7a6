/** How much of stderr is kept for error messages: the end of it, where programs say why. */
export const STDERR_TAIL_BYTES = 4096;

/** Keeps the last `max` bytes of a stream. */
export class Tail {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly max = STDERR_TAIL_BYTES) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.chunks.length > 1 && this.size - (this.chunks[0] as Buffer).length >= this.max) {
      this.size -= (this.chunks.shift() as Buffer).length;
    }
  }

  toString(): string {
    const all = Buffer.concat(this.chunks);
    // Drop a partial UTF-8 sequence at the cut rather than showing a replacement character.
    let from = Math.max(0, all.length - this.max);
    while (from > 0 && from < all.length && ((all[from] as number) & 0xc0) === 0x80) from++;
    return all.subarray(from).toString("utf8").trim();
  }
}
