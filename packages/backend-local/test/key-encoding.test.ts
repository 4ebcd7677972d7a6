import { describe, expect, it } from "vitest";
import { decodeKey, encodeKey } from "../src/key-encoding";

/** Characters around every boundary the encoding cares about. */
const ALPHABET = [
  "a",
  "Z",
  "0",
  "é",
  "\u00ff",
  "\u0100",
  "\u07ff",
  "\u0800",
  "\ud7ff",
  "\ue000",
  "\ue001",
  "\uf8ff",
  "\uff61",
  "\ufffd",
  "\uffff",
  "\u{10000}",
  "😀",
  "👩‍👩‍👧",
  "\u{1f600}\u{1f3fb}",
  "\u{10fffe}",
  "\u{10ffff}",
  "\u0001",
];

function utf8Compare(a: string, b: string): number {
  return Math.sign(Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8")));
}

function jsCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A deterministic generator, so a failure reproduces. */
function randomStrings(count: number, seed: number): string[] {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state;
  };
  return Array.from({ length: count }, () => {
    const length = 1 + (next() % 6);
    let s = "";
    for (let i = 0; i < length; i++) s += ALPHABET[next() % ALPHABET.length];
    return s;
  });
}

describe("key encoding", () => {
  it("is needed: raw UTF-8 order disagrees with JavaScript order for U+E000-U+FFFF vs astral", () => {
    expect(jsCompare("\uff61", "😀")).toBe(1);
    expect(utf8Compare("\uff61", "😀")).toBe(-1);
  });

  it("leaves ordinary keys untouched", () => {
    for (const key of ["a", "a/b", "Ünïcödé", "😀", "e\u0301", "\ud7ff", "CON", " "])
      expect(encodeKey(key)).toBe(key);
  });

  it("round-trips every string exactly", () => {
    for (const key of [...ALPHABET, ...randomStrings(5000, 1)]) expect(decodeKey(encodeKey(key))).toBe(key);
    // Decoding is the inverse on stored forms too: distinct keys never share a stored form.
    const strings = randomStrings(5000, 2);
    const stored = new Map(strings.map((k) => [encodeKey(k), k]));
    expect(stored.size).toBe(new Set(strings).size);
  });

  it("makes UTF-8 byte order equal JavaScript (UTF-16 code unit) order", () => {
    const strings = [...ALPHABET, ...randomStrings(3000, 3)];
    const byJs = [...strings].sort(jsCompare);
    const byStoredBytes = [...strings].sort((a, b) => utf8Compare(encodeKey(a), encodeKey(b)));
    expect(byStoredBytes).toEqual(byJs);
    for (let i = 0; i < 20_000; i++) {
      const a = strings[(i * 7919) % strings.length] as string;
      const b = strings[(i * 104729 + 1) % strings.length] as string;
      expect(utf8Compare(encodeKey(a), encodeKey(b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(
        jsCompare(a, b),
      );
    }
  });

  it("orders prefixes first, as JavaScript does", () => {
    const keys = ["\uffff", "\uffff\u0001", "\u{10ffff}", "\u{10ffff}\ue000", "\ue000", "\ue000a"];
    const sorted = [...keys].sort((a, b) => utf8Compare(encodeKey(a), encodeKey(b)));
    expect(sorted).toEqual([...keys].sort(jsCompare));
  });
});
