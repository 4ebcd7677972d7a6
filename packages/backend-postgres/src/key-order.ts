/**
 * The sort key stored beside each key (column `key_order`), so that PostgreSQL orders keys exactly as
 * JavaScript's `<` does: by UTF-16 code units.
 *
 * `COLLATE "C"` compares UTF-8 bytes, which is code point order. That agrees with UTF-16 order except
 * for U+E000–U+FFFF against supplementary characters (U+10000 and up): UTF-16 writes the latter as
 * surrogates (0xD800–0xDFFF), which sort *before* 0xE000, while their code points sort *after*. No
 * collation of PostgreSQL gives UTF-16 order, so the key is also stored as UTF-16 big-endian bytes:
 * `bytea` compares bytes (then length), and big-endian bytes compare like the code units they encode.
 * The key itself stays in `key`, as text anyone can read; `key_order` is only for ordering.
 */
export function keyOrder(key: string): Buffer {
  return Buffer.from(key, "utf16le").swap16();
}
