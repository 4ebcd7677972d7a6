/**
 * Entry keys as Redis bytes whose byte order is JavaScript's string order.
 *
 * Redis compares hash fields and sorted-set members byte by byte (memcmp), JavaScript compares
 * strings by UTF-16 code units. UTF-8 disagrees with UTF-16 above U+FFFF: "😀" (surrogates D83D DE00)
 * sorts before "\uE000" in JavaScript but after it in UTF-8. Encoding each UTF-16 code unit on its
 * own the way UTF-8 encodes a code point (1-3 bytes, surrogates included; "CESU-8") keeps the code
 * unit order, since that encoding is monotonic over 0..FFFF and no encoding is a prefix of another.
 * ASCII and every other BMP character come out exactly as UTF-8, so keys stay readable in redis-cli.
 * The encoded bytes never contain 0xFF (or 0xF0-0xFF).
 */
export function encodeKey(key: string): Buffer {
  const out = Buffer.allocUnsafe(key.length * 3);
  let n = 0;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 0x80) {
      out[n++] = c;
    } else if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 0x3f);
    } else {
      out[n++] = 0xe0 | (c >> 12);
      out[n++] = 0x80 | ((c >> 6) & 0x3f);
      out[n++] = 0x80 | (c & 0x3f);
    }
  }
  return out.subarray(0, n);
}

/** The inverse of `encodeKey`. Throws on bytes `encodeKey` never writes. */
export function decodeKey(bytes: Uint8Array): string {
  const units: number[] = [];
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      units.push(b);
      i += 1;
    } else if (b >= 0xc0 && b < 0xe0 && i + 1 < bytes.length) {
      units.push(((b & 0x1f) << 6) | ((bytes[i + 1] as number) & 0x3f));
      i += 2;
    } else if (b >= 0xe0 && b < 0xf0 && i + 2 < bytes.length) {
      units.push(
        ((b & 0x0f) << 12) | (((bytes[i + 1] as number) & 0x3f) << 6) | ((bytes[i + 2] as number) & 0x3f),
      );
      i += 3;
    } else {
      throw new Error(`not an encoded key: byte 0x${b.toString(16)} at offset ${i}`);
    }
  }
  // fromCharCode in slices: a key has at most 512 units, but stay safe for any input.
  let key = "";
  for (let s = 0; s < units.length; s += 4096) key += String.fromCharCode(...units.slice(s, s + 4096));
  return key;
}
