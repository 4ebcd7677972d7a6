import path from "node:path";
import { HOSTILE_KEYS } from "@store/testkit";
import { describe, expect, it } from "vitest";
import { decodeFileName, encodeKey, fileNameOf, isLongName, MAX_NAME_BYTES } from "../src/key-encoding";
import { isValidKey } from "./keys";

/** Deterministic PRNG (mulberry32), so a failure names a reproducible key. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PRINTABLE_ASCII = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i));
const TRICKY = [
  "\u00e9",
  "e\u0301",
  "\u00c5",
  "\u212b",
  "A\u030a",
  "\u00df",
  "SS",
  "\ufb01",
  "\u0130",
  "\u0131",
  "\u03a3",
  "\u03c3",
  "\u03c2",
  "\u212a",
  "\u01c5",
  "\u00a0",
  "\u200b",
  "\ufeff",
  "\uffff",
  "\u{10ffff}",
  "\u{1f600}",
  "\u{1f469}\u200d\u{1f467}",
  "\u4e2d",
  "\u0000".replace("\u0000", "\u00ad"),
  "\u2024",
  "\uff0e",
  "\u2215",
  "\uff0f",
  "\u00b9",
  "\u00b2",
];

function randomKey(next: () => number): string {
  const long = next() < 0.1;
  const length = long ? 200 + Math.floor(next() * 313) : 1 + Math.floor(next() * 24);
  const parts: string[] = [];
  let codePoints = 0;
  while (codePoints < length) {
    const r = next();
    const piece =
      r < 0.45
        ? String.fromCharCode(97 + Math.floor(next() * 26))
        : r < 0.6
          ? String.fromCharCode(65 + Math.floor(next() * 26))
          : r < 0.85
            ? (PRINTABLE_ASCII[Math.floor(next() * PRINTABLE_ASCII.length)] as string)
            : (TRICKY[Math.floor(next() * TRICKY.length)] as string);
    const n = [...piece].length;
    if (codePoints + n > length) break;
    parts.push(piece);
    codePoints += n;
  }
  return parts.join("") || "k";
}

/** Keys, plus the case and normalisation variants a careless encoding would merge with them. */
function generateKeys(count: number, seed: number): string[] {
  const next = random(seed);
  const keys = new Set<string>(HOSTILE_KEYS);
  while (keys.size < count) {
    const k = randomKey(next);
    for (const v of [
      k,
      k.toUpperCase(),
      k.toLowerCase(),
      k.normalize("NFC"),
      k.normalize("NFD"),
      k.normalize("NFKC"),
    ]) {
      if (isValidKey(v)) keys.add(v);
    }
  }
  return [...keys];
}

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;
const STORE_DIR = path.resolve("/data/stores/s/_default");

describe("key → file name", () => {
  it("keeps plain keys readable: bench_001 is bench_001.json", () => {
    expect(fileNameOf("bench_001")).toBe("bench_001.json");
    expect(fileNameOf("key1")).toBe("key1.json");
    expect(fileNameOf("run-2026.11.26")).toBe("run-2026.11.26.json");
    expect(fileNameOf("a b")).toBe("a b.json");
    expect(fileNameOf("k.json")).toBe("k.json.json");
  });

  it.each([
    ["Foo", "Foo~1.json"],
    ["foo", "foo.json"],
    ["FOO", "FOO~7.json"],
    ["BenchResult", "BenchResult~12.json"],
    ["a/b", "a%2fb.json"],
    ["a\\b", "a%5cb.json"],
    ["a:b", "a%3ab.json"],
    ["a?b", "a%3fb.json"],
    ["k-", "k-.json"],
    ["k45", "k45.json"],
    ["%", "%25.json"],
    ["%2F", "%252F~1.json"],
    ["~k", "%7ek.json"],
    [".hidden", "%2ehidden.json"],
    ["..", "%2e..json"],
    [".", "%2e.json"],
    [" lead", "%20lead.json"],
    ["trail ", "trail .json"],
    ["trail.", "trail..json"],
    ["con", "%63on.json"],
    ["CON", "%43ON~3.json"],
    ["nul.txt", "%6eul.txt.json"],
    ["COM1", "%43OM1~3.json"],
    ["LPT9.json", "%4cPT9.json~3.json"],
    ["com10", "com10.json"],
    ["\u00e9", "%c3%a9.json"],
    ["e\u0301", "e%cc%81.json"],
    ["\u{1f600}", "%f0%9f%98%80.json"],
  ])("%j → %j", (key, name) => {
    expect(fileNameOf(key)).toBe(name);
    expect(decodeFileName(name)).toBe(key);
  });

  it("uses the short form up to 255 bytes and a hashed long form beyond", () => {
    const fits = "a".repeat(MAX_NAME_BYTES - ".json".length);
    expect(encodeKey(fits)).toEqual({ name: `${fits}.json`, long: false });
    const over = `${fits}a`;
    const long = encodeKey(over);
    expect(long.long).toBe(true);
    expect(long.name).toMatch(/^a+~~[0-9a-f]{32}\.json$/);
    expect(Buffer.byteLength(long.name)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(isLongName(long.name)).toBe(true);
    expect(decodeFileName(long.name)).toBeUndefined();
    // A long prefix never ends inside a %xx escape.
    const escaped = encodeKey("\u00e9".repeat(512)).name;
    expect(escaped).toMatch(/^(%c3%a9)+~~[0-9a-f]{32}\.json$/);
  });

  it("refuses names it would not write", () => {
    for (const name of [
      "Hello",
      "hello.txt",
      "a%2Gb.json",
      "a%2.json",
      "x~0.json",
      "x~10.json",
      "ab~1~1.json",
      "a/b.json",
      "%ff.json",
      "a~f.json",
      "\u00e9.json",
    ]) {
      const key = decodeFileName(name);
      if (key !== undefined) expect(fileNameOf(key), name).not.toBe(name);
    }
    // Case comes from the mask, so a lowercased (case-insensitive) name still decodes exactly.
    expect(decodeFileName("foo~1.json")).toBe("Foo");
    expect(decodeFileName("%43on~3.json")).toBe("CON");
  });

  it("is injective, safe and case-insensitive-safe for 20,000 generated keys (property)", () => {
    const keys = generateKeys(20_000, 0x5eed);
    expect(keys.length).toBeGreaterThanOrEqual(20_000);
    const byName = new Map<string, string>();
    const byFoldedName = new Map<string, string>();
    const problems: string[] = [];
    const check = (ok: boolean, what: string, key: string, name: string) => {
      if (!ok) problems.push(`${what}: key ${JSON.stringify(key)} → ${JSON.stringify(name)}`);
    };
    for (const key of keys) {
      const { name, long } = encodeKey(key);
      // Within the limits every filesystem shares.
      check(Buffer.byteLength(name, "utf8") <= MAX_NAME_BYTES, "longer than 255 bytes", key, name);
      check(/^[A-Za-z0-9_.+=,@ %~-]+\.json$/.test(name), "unsafe character", key, name);
      check(!name.startsWith(".") && !name.startsWith(" "), "leading dot or space", key, name);
      check(
        !WINDOWS_RESERVED.test((name.split(".")[0] as string).trimEnd()),
        "Windows device name",
        key,
        name,
      );
      check(!/[. ]$/.test(name), "trailing dot or space", key, name);
      // Never a path outside the store's directory.
      const resolved = path.resolve(STORE_DIR, name);
      check(
        path.dirname(resolved) === STORE_DIR && path.basename(resolved) === name,
        "escapes the directory",
        key,
        name,
      );
      // Deterministic and reversible (long names are reversed through the index instead).
      check(fileNameOf(key) === name, "not deterministic", key, name);
      if (!long) {
        check(decodeFileName(name) === key, "does not decode", key, name);
        check(decodeFileName(name.toLowerCase()) === key, "does not decode lowercased", key, name);
      } else {
        check([...key].length > 40, "long form for a short key", key, name);
      }
      // Injective, also once a case-insensitive, normalising filesystem folds the name.
      const clash = byName.get(name);
      check(clash === undefined || clash === key, `clashes with ${JSON.stringify(clash)}`, key, name);
      byName.set(name, key);
      const folded = name.toLowerCase().normalize("NFKC");
      const foldedClash = byFoldedName.get(folded);
      check(
        foldedClash === undefined || foldedClash === key,
        `folds onto ${JSON.stringify(foldedClash)}`,
        key,
        name,
      );
      byFoldedName.set(folded, key);
    }
    expect(problems.slice(0, 20)).toEqual([]);
    expect(byName.size).toBe(keys.length);
    expect(byFoldedName.size).toBe(keys.length);
  });

  it("keeps keys that differ only in case or normalisation apart", () => {
    const groups = [
      ["Foo", "foo", "FOO", "fOO"],
      ["\u00e9", "e\u0301", "\u00c9", "E\u0301"],
      ["\u212b", "\u00c5", "A\u030a", "\u00e5"],
      ["\u00df", "ss", "SS", "\u1e9e"],
      ["\ufb01", "fi", "FI"],
      ["\u212a", "K", "k"],
    ];
    for (const group of groups) {
      const folded = new Set(group.map((k) => fileNameOf(k).toLowerCase()));
      expect(folded.size, JSON.stringify(group)).toBe(group.length);
    }
  });
});
