import { describe, expect, it } from "vitest";
import { fromMillis, toMillis } from "../src/timestamps";

describe("timestamps as integer milliseconds", () => {
  it("format exactly as toISOString does, across days, years and the epoch", () => {
    const samples = [
      0,
      -1,
      1,
      999,
      1000,
      86_399_999,
      86_400_000,
      -86_400_001,
      Date.UTC(2026, 10, 26, 8, 40, 0, 123),
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.parse("0000-01-01T00:00:00.000Z"),
      Date.parse("9999-12-31T23:59:59.999Z"),
    ];
    for (let i = 0; i < 200_000; i++) samples.push(1.7e12 + i * 7919 * 13);
    for (const ms of samples) {
      const text = fromMillis(ms);
      expect(text, String(ms)).toBe(new Date(ms).toISOString());
      expect(toMillis(text)).toBe(ms);
    }
  });

  it("fall back to toISOString outside years 0000-9999", () => {
    for (const ms of [Date.UTC(10_000, 0, 1), -62_167_219_200_001])
      expect(fromMillis(ms)).toBe(new Date(ms).toISOString());
    expect(fromMillis(Date.UTC(2026, 0, 1))).toBe("2026-01-01T00:00:00.000Z");
  });

  it("hand out independent strings (the day prefix behind them is cached)", () => {
    const a = fromMillis(Date.UTC(2026, 0, 1, 1, 2, 3, 4));
    const b = fromMillis(Date.UTC(2026, 0, 1, 5, 6, 7, 8));
    expect([a, b]).toEqual(["2026-01-01T01:02:03.004Z", "2026-01-01T05:06:07.008Z"]);
  });
});
