import { describe, expect, it } from "vitest";
import { isBackendDefinition } from "../src/backend";
import { StoreError } from "../src/index";

describe("StoreError", () => {
  it("is recognised across copies of core through its Symbol.for marker, not instanceof", () => {
    // What another installed copy of core throws: a different class, the same global marker.
    const foreign = Object.assign(new Error("timed out"), {
      [Symbol.for("@store/core.error")]: true,
      code: "PROVIDER_TIMEOUT",
    });
    expect(foreign instanceof StoreError).toBe(false);
    expect(StoreError.isInstance(foreign)).toBe(true);
    expect(StoreError.isInstance(foreign, "PROVIDER_TIMEOUT")).toBe(true);
    expect(StoreError.isInstance(foreign, "BACKEND_IO")).toBe(false);
    expect(StoreError.isInstance(new Error("plain"))).toBe(false);
    expect(StoreError.isInstance(null)).toBe(false);
  });
  it("keeps code, details and cause", () => {
    const cause = new Error("ENOSPC");
    const e = new StoreError("BACKEND_IO", "write failed", { cause, details: { store: "s" } });
    expect([e.code, e.message, e.cause, e.details, e.name]).toEqual([
      "BACKEND_IO",
      "write failed",
      cause,
      { store: "s" },
      "StoreError",
    ]);
  });
  it("backend definitions are recognised across copies too", () => {
    expect(isBackendDefinition({ [Symbol.for("@store/core.backend")]: true })).toBe(true);
    expect(isBackendDefinition({ name: "x", create() {} })).toBe(false);
  });
});
