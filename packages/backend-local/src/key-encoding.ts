/**
 * Keys are stored as TEXT in a form whose UTF-8 byte order (SQLite's BINARY collation) equals the
 * UTF-16 code unit order of the original key (JavaScript's `<`), which is the order the contract asks for.
 *
 * UTF-8 bytes sort by code point, and code point order agrees with UTF-16 order everywhere except one
 * place: U+E000–U+FFFF sort *after* every supplementary character (U+10000–U+10FFFF) in UTF-16, because
 * surrogates (0xD800–0xDFFF) are smaller than 0xE000, but *before* them by code point. better-sqlite3
 * has no API for custom collations, so the stored text is rewritten instead:
 *
 *   U+E000–U+FFFF   →  ESC + the character itself
 *   U+10FFFF        →  ESC + U+0001
 *   anything else   →  unchanged
 *
 * with ESC = U+10FFFF, the largest code point. Every escaped character now starts with the largest
 * code point, so it sorts after every unescaped one, as in UTF-16; among escaped characters the second
 * one decides, and U+0001 < U+E000 keeps U+10FFFF below U+E000–U+FFFF, again as in UTF-16. No codeword
 * is a prefix of another, so whole strings compare like their characters. The mapping is a bijection,
 * so every key (any case, NFC or NFD, …) round-trips exactly. Keys without those rare characters — the
 * overwhelming majority — are stored verbatim, so the table stays readable with the sqlite3 shell.
 */

const ESC = "\u{10FFFF}";
const ESCAPED_MAX = `${ESC}\u0001`;

/** Characters that need escaping: U+E000–U+FFFF, or U+10FFFF (the surrogate pair DBFF DFFF). */
const NEEDS_ESCAPE = /[\uE000-\uFFFF]|\uDBFF\uDFFF/;
const NEEDS_ESCAPE_ALL = /[\uE000-\uFFFF]|\uDBFF\uDFFF/g;
const ESCAPED_ALL = /\uDBFF\uDFFF([\s\S])/g;

function escapeChar(c: string): string {
  return c === ESC ? ESCAPED_MAX : ESC + c;
}

function unescapeChar(_match: string, next: string): string {
  return next === "\u0001" ? ESC : next;
}

/** The stored form of a key (a well-formed string, as core guarantees). */
export function encodeKey(key: string): string {
  return NEEDS_ESCAPE.test(key) ? key.replace(NEEDS_ESCAPE_ALL, escapeChar) : key;
}

/** The key a stored form came from. */
export function decodeKey(stored: string): string {
  return stored.includes(ESC) ? stored.replace(ESCAPED_ALL, unescapeChar) : stored;
}
