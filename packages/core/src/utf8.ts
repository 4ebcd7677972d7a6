import { StoreError, type StoreErrorCode } from "./errors";

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The offset of the first byte that does not start a well-formed UTF-8 sequence, or -1. Overlong
 * forms, surrogates (U+D800–U+DFFF) and code points past U+10FFFF are ill-formed, as in the standard.
 */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    let max = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b === 0xe0) [need, min] = [2, 0xa0];
    else if (b === 0xed) [need, min, max] = [2, 0x80, 0x9f];
    else if (b >= 0xe1 && b <= 0xef) [need, min] = [2, 0x80];
    else if (b === 0xf0) [need, min] = [3, 0x90];
    else if (b === 0xf4) [need, min, max] = [3, 0x80, 0x8f];
    else if (b >= 0xf1 && b <= 0xf3) [need, min] = [3, 0x80];
    else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      const lo = k === 1 ? min : 0x80;
      const hi = k === 1 ? max : 0xbf;
      if (c === undefined || c < lo || c > hi) return i;
    }
    i += need + 1;
  }
  return -1;
}

/**
 * Bytes as text, refusing invalid UTF-8 instead of replacing it with U+FFFD: a value or key that would
 * be silently altered, or two keys that would collapse into one, is an error naming the byte offset.
 */
export function decodeUtf8(bytes: Uint8Array, what: string, code: StoreErrorCode = "INVALID_VALUE"): string {
  try {
    return strict.decode(bytes);
  } catch {
    const offset = invalidUtf8Offset(bytes);
    throw new StoreError(code, `invalid ${what}: not valid UTF-8 (byte offset ${offset})`, {
      details: { offset },
    });
  }
}
