import { describe, expect, it } from "vitest";
import { normalizeOptionNames, StoreError, withSnakeCaseAliases } from "../src/index";

describe("option names", () => {
  const names = { busy_timeout_ms: "busyTimeoutMs" };
  it("accepts either spelling and refuses both at once", () => {
    expect(normalizeOptionNames("local", { busy_timeout_ms: 5, path: "x" }, names)).toEqual({
      busyTimeoutMs: 5,
      path: "x",
    });
    expect(normalizeOptionNames("local", { busyTimeoutMs: 5 }, names)).toEqual({ busyTimeoutMs: 5 });
    expect(normalizeOptionNames("local", undefined, names)).toEqual({});
    const error = (() => {
      try {
        normalizeOptionNames("local", { busy_timeout_ms: 1, busyTimeoutMs: 2 }, names);
      } catch (e) {
        return e;
      }
    })();
    expect(StoreError.isInstance(error, "INVALID_ARGUMENT")).toBe(true);
    expect((error as Error).message).toBe(
      'local: options "busy_timeout_ms" and "busyTimeoutMs" are the same option; give one',
    );
  });
  it("gives the snake_case spelling the same schema", () => {
    const integer = { type: "integer" };
    expect(withSnakeCaseAliases({ busyTimeoutMs: integer }, names)).toEqual({
      busyTimeoutMs: integer,
      busy_timeout_ms: integer,
    });
  });
});
