import { createHash } from "node:crypto";

/**
 * Key → file name, and back.
 *
 * A name is made only of ASCII letters, digits, `-_.+=,@`, space, `%` and `~`, so it means the same
 * thing on every filesystem (no Unicode normalisation, no case folding of anything but A-Z):
 *
 * - `[a-z0-9-_.+=,@ ]` are kept as they are, so `bench_001` is `bench_001.json`.
 * - Every other byte of the key's UTF-8 is `%` + two lowercase hex digits (`a/b` → `a%2fb.json`,
 *   `é` → `%c3%a9.json`, `~` → `%7e`, `%` → `%25`). A leading `.` or space is escaped too, so no entry
 *   file is hidden and none can be mistaken for the store's own `.meta` directory.
 * - Uppercase A-Z are kept, and a `~` + case mask is added (`Foo` → `Foo~1.json`): one hex digit per
 *   four letters, bit n set when the n-th letter is uppercase. The name lowercased still decodes to the
 *   key, so `Foo`, `foo` and `FOO` never share a file on a case-insensitive filesystem.
 * - A name whose stem is a Windows device name (CON, NUL, COM1, LPT9…) has its first letter escaped.
 * - A name longer than 255 bytes becomes the first part of its encoding + `~~` + 32 hex digits of the
 *   key's SHA-256 (`MAX_NAME_BYTES` exactly at most); the key itself is kept in the index and in
 *   `.meta/keys/`, because the name no longer holds it.
 *
 * Every name ends in `.json`, so none ends in a dot or a space. The encoding is injective: for a short
 * name, `decodeFileName(encodeKey(k).toLowerCase()) === k`; long names differ by their hash.
 */

const FILE_EXTENSION = ".json";
/** The largest file name most filesystems accept (ext4, APFS, NTFS in UTF-16 units, ZFS…). */
export const MAX_NAME_BYTES = 255;
const HASH_HEX_LENGTH = 32;
const LONG_MARK = "~~";
/** Room for the readable prefix of a long name. */
const LONG_PREFIX_MAX = MAX_NAME_BYTES - FILE_EXTENSION.length - LONG_MARK.length - HASH_HEX_LENGTH;

// Plain keys need no work at all: this is the common case and the hot path.
const PLAIN = /^[a-z0-9_-][a-z0-9_.-]{0,249}$/;
const RESERVED_STEM = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

const VERBATIM = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.+=,@ ") {
  VERBATIM[c.charCodeAt(0)] = 1;
}
const HEX = "0123456789abcdef";

export interface EncodedKey {
  /** The file name, with its `.json` extension. */
  name: string;
  /** True when the name is shortened with a hash and the key must be looked up in the index. */
  long: boolean;
}

/** The file name of `key`. Deterministic; see the module comment for the rules. */
export function encodeKey(key: string): EncodedKey {
  if (PLAIN.test(key) && !isReservedStem(key)) return { name: key + FILE_EXTENSION, long: false };
  const bytes = Buffer.from(key, "utf8");
  let body = escapeBytes(bytes, false);
  if (isReservedStem(body)) body = escapeBytes(bytes, true);
  const mask = caseMask(body);
  const name = `${body}${mask ? `~${mask}` : ""}${FILE_EXTENSION}`;
  if (name.length <= MAX_NAME_BYTES) return { name, long: false };
  return { name: `${truncateBody(body)}${LONG_MARK}${keyHash(key)}${FILE_EXTENSION}`, long: true };
}

/** The file name of `key` (see `encodeKey`). */
export function fileNameOf(key: string): string {
  return encodeKey(key).name;
}

/**
 * The key a short file name stands for, or `undefined` when the name is long (its key is in the
 * index) or not a name this encoding produces (a file someone else put there). Case-insensitive, as
 * the filesystem may be: the letters' case comes from the mask.
 */
export function decodeFileName(name: string): string | undefined {
  if (!name.endsWith(FILE_EXTENSION) || name.includes(LONG_MARK)) return undefined;
  const base = name.slice(0, -FILE_EXTENSION.length);
  const tilde = base.indexOf("~");
  const body = tilde < 0 ? base : base.slice(0, tilde);
  const mask = tilde < 0 ? "" : base.slice(tilde + 1).toLowerCase();
  if (tilde >= 0 && !/^[0-9a-f]*[1-9a-f]$/.test(mask)) return undefined;
  const bytes: number[] = [];
  let letter = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c === 0x25 /* % */) {
      const hex = body.slice(i + 1, i + 3).toLowerCase();
      if (!/^[0-9a-f]{2}$/.test(hex)) return undefined;
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
      continue;
    }
    if (c >= 128 || VERBATIM[c] !== 1) return undefined;
    if (isLetter(c)) {
      const nibble = HEX.indexOf(mask[letter >> 2] ?? "0");
      const upper = (nibble >> (letter & 3)) & 1;
      bytes.push(upper ? c & ~0x20 : c | 0x20);
      letter++;
    } else {
      bytes.push(c);
    }
  }
  // A mask longer than the letters it describes is not one this encoding writes.
  if (mask.length > Math.ceil(letter / 4)) return undefined;
  try {
    return UTF8.decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
}

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** True when `name` is a long (hashed) name, whose key is only known from metadata. */
export function isLongName(name: string): boolean {
  return name.endsWith(FILE_EXTENSION) && name.includes(LONG_MARK);
}

function escapeBytes(bytes: Buffer, escapeFirst: boolean): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    const keep =
      b < 128 &&
      VERBATIM[b] === 1 &&
      !(i === 0 && (escapeFirst || b === 0x2e /* . */ || b === 0x20)) /* space */;
    out += keep ? String.fromCharCode(b) : `%${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return out;
}

/** The case mask of the verbatim letters of `body` ("" when none is uppercase). */
function caseMask(body: string): string {
  let mask = "";
  let nibble = 0;
  let letter = 0;
  let last = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c === 0x25) {
      i += 2;
      continue;
    }
    if (!isLetter(c)) continue;
    if (c <= 0x5a) nibble |= 1 << (letter & 3);
    letter++;
    if ((letter & 3) === 0) {
      mask += HEX[nibble];
      if (nibble) last = mask.length;
      nibble = 0;
    }
  }
  if (letter & 3) {
    mask += HEX[nibble];
    if (nibble) last = mask.length;
  }
  return mask.slice(0, last);
}

function isLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** Windows refuses `CON`, `nul.txt`, `Com1 .json`…: the part before the first dot, spaces trimmed. */
function isReservedStem(body: string): boolean {
  const dot = body.indexOf(".");
  const stem = (dot < 0 ? body : body.slice(0, dot)).trimEnd();
  return stem.length >= 3 && stem.length <= 4 && RESERVED_STEM.test(stem);
}

/** The longest prefix of `body` that fits, never cutting a `%xx` escape in two. */
function truncateBody(body: string): string {
  let end = Math.min(body.length, LONG_PREFIX_MAX);
  const percent = body.lastIndexOf("%", end - 1);
  if (percent >= 0 && percent > end - 3) end = percent;
  return body.slice(0, end);
}

function keyHash(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex").slice(0, HASH_HEX_LENGTH);
}
