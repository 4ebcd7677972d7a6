import assert from "node:assert/strict";

/**
 * The few assertions the suite needs, on node:assert, so the testkit works under any test runner
 * (vitest, jest, mocha, node:test) and from CommonJS.
 */
export function expect(actual: unknown, message?: string) {
  const say = (what: string) => (message ? `${message}: ${what}` : what);
  return {
    toBe(expected: unknown) {
      assert.ok(Object.is(actual, expected), say(`expected ${show(expected)}, got ${show(actual)}`));
    },
    toEqual(expected: unknown) {
      assert.deepStrictEqual(actual, expected, message);
    },
    toBeUndefined() {
      assert.ok(actual === undefined, say(`expected undefined, got ${show(actual)}`));
    },
    toBeNull() {
      assert.ok(actual === null, say(`expected null, got ${show(actual)}`));
    },
    toHaveLength(length: number) {
      const n = (actual as { length?: number } | null)?.length;
      assert.ok(n === length, say(`expected length ${length}, got ${n}`));
    },
    toContain(item: unknown) {
      assert.ok((actual as unknown[]).includes(item), say(`expected to contain ${show(item)}`));
    },
    toContainEqual(item: unknown) {
      assert.ok(
        (actual as unknown[]).some((x) => isDeepEqual(x, item)),
        say(`expected an element equal to ${show(item)}`),
      );
    },
    toMatch(pattern: RegExp) {
      assert.match(String(actual), pattern, message);
    },
    /** Every property of `expected` is deep-equal in `actual`; other properties are ignored. */
    toMatchObject(expected: Record<string, unknown>) {
      assert.ok(
        actual !== null && typeof actual === "object",
        say(`expected an object, got ${show(actual)}`),
      );
      const picked = Object.fromEntries(
        Object.keys(expected).map((k) => [k, (actual as Record<string, unknown>)[k]]),
      );
      assert.deepStrictEqual(picked, expected, message);
    },
  };
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  try {
    assert.deepStrictEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

function show(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : String(JSON.stringify(value) ?? value);
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}
