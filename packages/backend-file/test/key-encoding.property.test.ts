import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeFileName, encodeKey, MAX_NAME_BYTES } from "../src/key-encoding";
import { isValidKey } from "./keys";

/**
 * Issue 14: the key → file name encoding, as properties over generated keys (fast-check): it
 * round-trips, it is injective (also once a case-insensitive filesystem folds names), and every name
 * stays inside the store's directory. key-encoding.test.ts has the worked examples.
 */

/** Characters that stress the encoding: path syntax, case, escapes, Windows names, Unicode look-alikes. */
const TRICKY = [
  ...'/\\.:?*"<>|%~ +=,@-_',
  ..."aAzZ09",
  "\u00e9",
  "e\u0301",
  "\u00c5",
  "\u212b",
  "\u00df",
  "\u0130",
  "\u0131",
  "\u03a3",
  "\u03c2",
  "\u212a",
  "\u00a0",
  "\u200b",
  "\ufeff",
  "\uff0e",
  "\u2215",
  "\u{1f600}",
  "\u{10ffff}",
  "CON",
  "nul",
  "..",
  ".meta",
];

const keyPiece = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...TRICKY) },
  { weight: 3, arbitrary: fc.string({ unit: "binary-ascii", minLength: 1, maxLength: 4 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 3 }) },
);

/** Valid keys of every length: short, around the 255-byte name limit, and up to 512 code points. */
const key = fc
  .oneof(
    { weight: 6, arbitrary: fc.array(keyPiece, { minLength: 1, maxLength: 12 }).map((p) => p.join("")) },
    { weight: 2, arbitrary: fc.array(keyPiece, { minLength: 40, maxLength: 160 }).map((p) => p.join("")) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom("a", "A", "é", "/"), fc.integer({ min: 80, max: 512 }))
        .map(([c, n]) => c.repeat(n)),
    },
  )
  .filter(isValidKey);

/** Keys a careless encoding would merge with `k`: other case, other normalisation, one character more. */
const variants = (k: string) =>
  [
    k.toUpperCase(),
    k.toLowerCase(),
    k.normalize("NFC"),
    k.normalize("NFD"),
    k.normalize("NFKC"),
    `${k}.`,
    `.${k}`,
  ].filter((v) => v !== k && isValidKey(v));

const STORE_DIR = path.resolve("/data/stores/s/_default");
const RUNS = { numRuns: 3000 };

describe("key encoding (fast-check properties)", () => {
  it("round-trips: a short name decodes to its key, also lowercased; a long name is marked as such", () => {
    fc.assert(
      fc.property(key, (k) => {
        const { name, long } = encodeKey(k);
        expect(encodeKey(k).name).toBe(name);
        if (long) {
          // Its key is kept in the index and .meta/keys: the name only has to be unique (a hash).
          expect(name).toMatch(/~~[0-9a-f]{32}\.json$/);
          expect(decodeFileName(name)).toBeUndefined();
        } else {
          expect(decodeFileName(name)).toBe(k);
          expect(decodeFileName(name.toLowerCase())).toBe(k);
        }
      }),
      RUNS,
    );
  });

  it("stays inside the root: one safe path component under the store directory", () => {
    fc.assert(
      fc.property(key, (k) => {
        const { name } = encodeKey(k);
        expect(Buffer.byteLength(name)).toBeLessThanOrEqual(MAX_NAME_BYTES);
        expect(name).toMatch(/^[A-Za-z0-9_.+=,@ %~-]+\.json$/);
        expect(name.startsWith(".")).toBe(false);
        const resolved = path.resolve(STORE_DIR, name);
        expect(path.dirname(resolved)).toBe(STORE_DIR);
        expect(path.relative(STORE_DIR, resolved)).toBe(name);
      }),
      RUNS,
    );
  });

  it("is injective, also on a case-insensitive filesystem, for keys and their look-alikes", () => {
    fc.assert(
      fc.property(key, (k) => {
        const folded = encodeKey(k).name.toLowerCase();
        for (const v of variants(k)) {
          expect(encodeKey(v).name.toLowerCase(), `${JSON.stringify(k)} vs ${JSON.stringify(v)}`).not.toBe(
            folded,
          );
        }
      }),
      RUNS,
    );
  });

  it("is injective over sets of distinct keys", () => {
    fc.assert(
      fc.property(fc.uniqueArray(key, { minLength: 2, maxLength: 60 }), (keys) => {
        const names = new Set(keys.map((k) => encodeKey(k).name.toLowerCase()));
        expect(names.size).toBe(keys.length);
      }),
      { numRuns: 300 },
    );
  });
});
