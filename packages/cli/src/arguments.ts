import fs from "node:fs";
import { decodeUtf8, StoreError, type StoreErrorCode } from "@store/core";
import { quoted } from "./format";

const REPLACEMENT = "\ufffd";

/**
 * Node decodes the command line as UTF-8 and turns every byte that is not into U+FFFD before the CLI
 * sees it: two keys given with different invalid bytes would arrive as one key, and the second put
 * would overwrite the first. So a key, name, task id or JSON value given on the command line may not
 * contain U+FFFD at all. Where the raw bytes can be read back (Linux: /proc/self/cmdline) the error
 * names the offset of the first invalid byte; a genuine U+FFFD can still be given as a JSON escape
 * (`--key-json '"\ufffd"'`, or `"\ufffd"` inside a JSON value).
 */
export function checkArgument(text: string, what: string, code: StoreErrorCode, hint: string): string {
  if (!text.includes(REPLACEMENT)) return text;
  const raw = rawArgument(text);
  if (raw) decodeUtf8(raw, `${what} on the command line`, code); // throws, naming the byte offset
  throw new StoreError(
    code,
    `invalid ${what} ${quoted(text).replaceAll(REPLACEMENT, "\\ufffd")}: contains U+FFFD, which on a command line cannot be told apart from bytes that are not UTF-8: ${hint}`,
    { details: { field: what } },
  );
}

/** A key given as a JSON string literal (`--key-json`), for keys a command line cannot carry. */
export function keyFromJson(text: string): string {
  let key: unknown;
  try {
    key = JSON.parse(text);
  } catch (error) {
    throw new StoreError(
      "INVALID_KEY",
      `invalid --key-json ${quoted(text)}: not JSON (${(error as Error).message})`,
    );
  }
  if (typeof key !== "string") {
    throw new StoreError(
      "INVALID_KEY",
      `invalid --key-json ${quoted(text)}: expected a JSON string, like '"a\\u00e9"'`,
    );
  }
  return key;
}

let cmdline: Buffer[] | undefined;

/**
 * The bytes of the process's own argument that Node decoded to `text`, when the system shows them and
 * they are not valid UTF-8. Undefined elsewhere (another platform, or `run()` called in-process with
 * arguments that never were a command line).
 */
function rawArgument(text: string): Buffer | undefined {
  if (process.platform !== "linux") return undefined;
  if (cmdline === undefined) {
    try {
      const all = fs.readFileSync("/proc/self/cmdline");
      cmdline = [];
      for (let start = 0; start < all.length; ) {
        const end = all.indexOf(0, start);
        const stop = end === -1 ? all.length : end;
        cmdline.push(all.subarray(start, stop));
        start = stop + 1;
      }
    } catch {
      cmdline = [];
    }
  }
  return cmdline.find((bytes) => bytes.toString("utf8") === text && !isUtf8(bytes));
}

function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}
