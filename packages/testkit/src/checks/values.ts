import { type Check, check } from "../check";
import { expect } from "../expect";

/** Every JSON type, and the corners JSON serializers get wrong. */
export const SAMPLE_VALUES: Record<string, unknown> = {
  null: null,
  true: true,
  false: false,
  zero: 0,
  negative: -42,
  fraction: -1.5,
  tiny: 5e-324,
  huge: 1.7976931348623157e308,
  maxSafe: Number.MAX_SAFE_INTEGER,
  emptyString: "",
  unicode: 'ünïcødé ✓ 😀 \u0000 \u2028 "quotes" \\ back',
  loneSurrogateString: "\ud800",
  emptyArray: [],
  emptyObject: {},
  nested: { a: [1, { b: [null, true, "x"] }], "key with spaces": { "": 0 }, "😀": [[[]]] },
  protoKey: JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1}'),
  array: Array.from({ length: 100 }, (_, i) => ({ i, s: String(i) })),
};

export const valueChecks: Check[] = [
  check("values", "round-trips every JSON type exactly", async (t) => {
    const s = t.store();
    for (const [key, value] of Object.entries(SAMPLE_VALUES)) await s.put(key, value as never);
    for (const [key, value] of Object.entries(SAMPLE_VALUES)) {
      expect(await s.get(key), `value of ${key}`).toEqual(value);
    }
  }),
  check("values", "a stored null is a value; a missing key is absent", async (t) => {
    const s = t.store();
    await s.put("nothing", null);
    expect(await s.get("nothing")).toBeNull();
    expect(await s.getEntry("nothing")).toMatchObject({ key: "nothing", value: null });
    expect(await s.get("never-written")).toBeUndefined();
    expect(await s.getEntry("never-written")).toBeUndefined();
    const r = await t.manager.execute({ op: "get", store: s.name, key: "nothing" });
    expect(r).toMatchObject({ op: "get", found: true, value: null });
    expect(await t.manager.execute({ op: "get", store: s.name, key: "never-written" })).toEqual({
      op: "get",
      found: false,
    });
  }),
  check("values", "a written value is a copy: mutating the caller's object changes nothing", async (t) => {
    const s = t.store();
    const value = { list: [1, 2] };
    await s.put("k", value);
    value.list.push(3);
    expect(await s.get("k")).toEqual({ list: [1, 2] });
  }),
  check("values", "entries carry RFC 3339 UTC timestamps with milliseconds and the task id", async (t) => {
    const s = t.store();
    t.clock.set("2026-11-26T08:40:00.123Z");
    const { version } = await s.put("k", 1, { taskId: "task-7" });
    const e = await s.getEntry("k");
    expect(e).toEqual({
      key: "k",
      value: 1,
      createdAt: "2026-11-26T08:40:00.123Z",
      updatedAt: "2026-11-26T08:40:00.123Z",
      taskId: "task-7",
      version,
    });
    await s.put("no-task", 2);
    expect((await s.getEntry("no-task"))?.taskId).toBe("");
  }),
];
