import { type Check, check } from "../check";
import { expect } from "../expect";

/** Valid keys that break naive backends (paths, shells, case-insensitive or normalising filesystems). */
export const HOSTILE_KEYS: string[] = [
  "a/b",
  "a\\b",
  "a:b",
  "a?b",
  "a*b",
  "a|b",
  "a<b>",
  'a"b',
  "..",
  ".",
  "../x",
  "./x",
  "/abs",
  "\\abs",
  "C:\\x",
  "%",
  "%2F",
  "100%",
  "a%2fb",
  " ",
  " lead",
  "trail ",
  "trail.",
  "a b",
  "😀",
  "👩‍👩‍👧",
  "CON",
  "con",
  "NUL",
  "nul.txt",
  "COM1",
  "LPT9.json",
  "AUX",
  "PRN",
  ".hidden",
  "..hidden",
  "Foo",
  "foo",
  "FOO",
  "\u00e9",
  "e\u0301",
  "\u212b",
  "\u00c5",
  "k-",
  "k45",
  "k.json",
  "k.json.tmp",
  "k.tmp",
  "~k",
  "k~",
  "#k",
  "$(touch pwned)",
  "`id`",
  ";rm -rf .",
  "'quoted'",
  "\u00a0nbsp",
  "zero\u200bwidth",
  "\ufeffbom",
  "\uffff",
  "\u{10ffff}",
  "ﬁ",
  "ß",
  "SS",
  "x".repeat(512),
  "é".repeat(512),
  "😀".repeat(512),
  `${"ab/".repeat(170)}ab`,
  "_default",
  "__proto__",
  "constructor",
  "hasOwnProperty",
  "index",
  "index.json",
  "lock",
  ".lock",
  "ab".repeat(200),
];

export const keyChecks: Check[] = [
  check("keys", "hostile but valid keys are distinct and round-trip exactly", async (t) => {
    const s = t.store();
    for (const [i, key] of HOSTILE_KEYS.entries()) await s.put(key, { i, key });
    for (const [i, key] of HOSTILE_KEYS.entries()) {
      const e = await s.getEntry(key);
      expect(e?.key, `key #${i} ${JSON.stringify(key.slice(0, 40))}`).toBe(key);
      expect(e?.value).toEqual({ i, key });
    }
    const listed = (await s.list({ limit: 1000 })).map((e) => e.key);
    expect(new Set(listed)).toEqual(new Set(HOSTILE_KEYS));
    expect(listed).toHaveLength(HOSTILE_KEYS.length);
  }),
  check("keys", "hostile keys delete only themselves", async (t) => {
    const s = t.store();
    for (const key of HOSTILE_KEYS) await s.put(key, 1);
    const victims = ["Foo", "\u00e9", "..", "a/b", "CON"];
    for (const key of victims) expect(await s.delete(key)).toBe(true);
    const left = (await s.list({ limit: 1000 })).map((e) => e.key);
    expect(left).toHaveLength(HOSTILE_KEYS.length - victims.length);
    for (const key of ["foo", "FOO", "e\u0301", ".", "a:b", "con"]) expect(left).toContain(key);
  }),
];
