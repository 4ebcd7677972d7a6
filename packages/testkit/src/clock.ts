/** A clock for tests: stands still until told to move, so TTL and ordering are deterministic. */
export class FakeClock {
  private ms: number;

  constructor(start: number | string = "2026-01-01T00:00:00.000Z") {
    this.ms = typeof start === "string" ? Date.parse(start) : start;
  }

  /** Pass as `now` to StoreManager. */
  readonly now = (): number => this.ms;

  advance(ms: number): void {
    this.ms += ms;
  }

  advanceDays(days: number): void {
    this.ms += days * 86_400_000;
  }

  set(ms: number | string): void {
    this.ms = typeof ms === "string" ? Date.parse(ms) : ms;
  }
}
