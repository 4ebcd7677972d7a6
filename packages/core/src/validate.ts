import { StoreError } from "./errors";
import type { JsonValue, ListCursor } from "./types";

/** Limits (packages/core/README.md), the same for every backend, checked here before any backend is called. */
export const LIMITS = {
  nameMaxLength: 63,
  keyMaxLength: 512,
  listMaxLimit: 1000,
  listDefaultLimit: 100,
  /** Default cap on a serialized value; StoreManager's `maxValueBytes` overrides it. */
  valueMaxBytes: 16 * 1024 * 1024,
} as const;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const CONTROL = /[\u0000-\u001f\u007f]/;

function checkName(kind: "store name" | "project id", value: unknown): string {
  if (typeof value !== "string" || !NAME.test(value) || value.includes("..")) {
    throw new StoreError(
      "INVALID_ARGUMENT",
      `invalid ${kind} ${JSON.stringify(value)}: use 1-63 characters of [A-Za-z0-9._-], starting with a letter or digit, without ".."`,
      { details: { field: kind === "store name" ? "store" : "project", value } },
    );
  }
  return value;
}

export function validateStoreName(store: unknown): string {
  return checkName("store name", store);
}

/** A project id is a store-like name, or "" for the default project. */
export function validateProjectId(project: unknown): string {
  if (project === undefined || project === "") return "";
  return checkName("project id", project);
}

/**
 * Keys are 1-512 Unicode code points, well-formed (no lone surrogates), without control characters.
 * Anything else is a valid key and must round-trip exactly: no trimming, case folding or normalisation.
 */
export function validateKey(key: unknown): string {
  if (typeof key !== "string") {
    throw new StoreError("INVALID_KEY", `invalid key: expected a string, got ${typeName(key)}`, {
      details: { key },
    });
  }
  const shown = key.length > 80 ? `${JSON.stringify(key.slice(0, 80))}…` : JSON.stringify(key);
  if (key.length === 0) throw new StoreError("INVALID_KEY", "invalid key: the key is empty");
  // Code points ≤ UTF-16 units, so only long strings need counting.
  if (key.length > LIMITS.keyMaxLength && [...key].length > LIMITS.keyMaxLength) {
    throw new StoreError(
      "INVALID_KEY",
      `invalid key ${shown}: longer than ${LIMITS.keyMaxLength} characters`,
      { details: { key } },
    );
  }
  if (CONTROL.test(key)) {
    throw new StoreError("INVALID_KEY", `invalid key ${shown}: contains a control character`, {
      details: { key },
    });
  }
  if (!key.isWellFormed()) {
    throw new StoreError("INVALID_KEY", `invalid key ${shown}: not well-formed Unicode (lone surrogate)`, {
      details: { key },
    });
  }
  return key;
}

/** True when `key` is a key core accepts (see validateKey); for backends judging names they find. */
export function isValidKey(key: unknown): key is string {
  try {
    validateKey(key);
    return true;
  } catch {
    return false;
  }
}

export function validateTaskId(taskId: unknown): string {
  if (taskId === undefined) return "";
  if (typeof taskId !== "string" || taskId.length > 256 || CONTROL.test(taskId) || !taskId.isWellFormed()) {
    throw new StoreError(
      "INVALID_ARGUMENT",
      `invalid task id ${JSON.stringify(taskId)}: expected a string of at most 256 characters without control characters`,
      { details: { field: "taskId" } },
    );
  }
  return taskId;
}

function checkInteger(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new StoreError(
      "INVALID_ARGUMENT",
      `invalid ${field} ${JSON.stringify(value) ?? String(value)}: expected an integer from ${min} to ${max}`,
      { details: { field, value } },
    );
  }
  return value;
}

export function validateListArgs(limit: unknown, offset: unknown): { limit: number; offset: number } {
  return {
    limit:
      limit === undefined ? LIMITS.listDefaultLimit : checkInteger("limit", limit, 1, LIMITS.listMaxLimit),
    offset: offset === undefined ? 0 : checkInteger("offset", offset, 0, Number.MAX_SAFE_INTEGER),
  };
}

/** `max_entries` ≥ 0 (0 empties the project) and `ttl_days` ≥ 0 (0 means forever), both optional. */
export function validatePruneArgs(
  maxEntries: unknown,
  ttlDays: unknown,
): { maxEntries: number | undefined; ttlDays: number | undefined } {
  return {
    maxEntries:
      maxEntries === undefined
        ? undefined
        : checkInteger("max_entries", maxEntries, 0, Number.MAX_SAFE_INTEGER),
    ttlDays: ttlDays === undefined ? undefined : checkInteger("ttl_days", ttlDays, 0, 1_000_000),
  };
}

/** A version given by a caller (`ifVersion`, an imported entry's version): a positive safe integer. */
export function validateVersion(field: string, value: unknown): number {
  return checkInteger(field, value, 1, Number.MAX_SAFE_INTEGER);
}

/** `ifVersion` and `ifAbsent`, at most one of them; `undefined` when the write is unconditional. */
export function validateCondition(options: {
  ifVersion?: unknown;
  ifAbsent?: unknown;
}): { ifVersion?: number; ifAbsent?: true } | undefined {
  const { ifVersion, ifAbsent } = options;
  if (ifAbsent !== undefined && typeof ifAbsent !== "boolean") {
    throw new StoreError(
      "INVALID_ARGUMENT",
      `invalid ifAbsent ${JSON.stringify(ifAbsent)}: expected true or false`,
      {
        details: { field: "ifAbsent" },
      },
    );
  }
  if (ifVersion === undefined) return ifAbsent ? { ifAbsent: true } : undefined;
  const version = validateVersion("ifVersion", ifVersion);
  if (ifAbsent) {
    throw new StoreError("INVALID_ARGUMENT", "ifVersion and ifAbsent contradict each other: give one", {
      details: { field: "ifAbsent" },
    });
  }
  return { ifVersion: version };
}

export function validateCursor(cursor: unknown): ListCursor {
  const c = cursor as ListCursor;
  if (typeof c !== "object" || c === null || typeof c.updatedAt !== "string" || typeof c.key !== "string") {
    throw new StoreError("INVALID_ARGUMENT", "invalid cursor: expected one returned by a previous page");
  }
  return c;
}

/**
 * Checks that `value` is JSON that survives a round trip unchanged, and returns its serialization.
 * `undefined`, functions, symbols, BigInt, NaN, ±Infinity, sparse arrays, class instances (Date, Map…)
 * and circular structures are rejected with the path of the culprit, never silently dropped or changed.
 */
export function serializeValue(value: unknown, maxBytes: number = LIMITS.valueMaxBytes): string {
  checkJson(value, [], []);
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw new StoreError("INVALID_VALUE", "invalid value: nested too deeply to serialize", { cause: error });
  }
  // A UTF-16 unit is at most 3 UTF-8 bytes, so short strings need no byte count.
  if (json.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(json, "utf8");
    if (bytes > maxBytes) {
      throw new StoreError(
        "VALUE_TOO_LARGE",
        `value too large: ${bytes} bytes serialized, the limit is ${maxBytes}`,
        { details: { bytes, limit: maxBytes } },
      );
    }
  }
  return json;
}

/** Walks the value; `path` holds the keys and indexes down to it, turned into text only on failure. */
function checkJson(value: unknown, path: (string | number)[], ancestors: object[]): void {
  switch (typeof value) {
    case "string":
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(value)) fail(path, `${value} is not a JSON number`);
      return;
    case "object": {
      if (value === null) return;
      if (ancestors.includes(value)) fail(path, "circular reference");
      if (ancestors.length > 1000) fail(path, "nested more than 1000 levels deep");
      ancestors.push(value);
      if (Array.isArray(value)) {
        const proto = Object.getPrototypeOf(value);
        if (proto !== Array.prototype)
          fail(path, `${proto?.constructor?.name ?? "Array"} subclass is not plain JSON`);
        // Own names are the indexes plus "length"; anything else would be dropped by serialization.
        if (Object.getOwnPropertyNames(value).length !== value.length + 1) {
          fail(path, "array has named properties or holes (they would be lost)");
        }
        for (let i = 0; i < value.length; i++) {
          path.push(i);
          checkJson(value[i], path, ancestors);
          path.pop();
        }
      } else {
        const proto = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) {
          fail(path, `${proto?.constructor?.name ?? "object"} instance is not plain JSON (convert it first)`);
        }
        if (Object.getOwnPropertySymbols(value).length > 0) fail(path, "symbol-keyed property would be lost");
        // Descriptors, not reads: a getter could answer differently when serialization reads it again.
        const descriptors = Object.getOwnPropertyDescriptors(value);
        for (const k in descriptors) {
          const d = descriptors[k] as PropertyDescriptor;
          path.push(k);
          if (!d.enumerable) fail(path, "non-enumerable property would be lost");
          if (d.get || d.set)
            fail(path, "accessor (getter/setter) is not plain JSON: store its value instead");
          checkJson(d.value, path, ancestors);
          path.pop();
        }
      }
      ancestors.pop();
      return;
    }
    default:
      fail(path, `${typeName(value)} is not JSON`);
  }
}

/** `["run", "scores", 1]` → `value.run.scores[1]`. */
function pathText(path: (string | number)[]): string {
  let out = "value";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += /^[A-Za-z_$][\w$]*$/.test(seg) ? `.${seg}` : `[${JSON.stringify(seg)}]`;
  }
  return out;
}

function fail(path: (string | number)[], why: string): never {
  const at = pathText(path);
  throw new StoreError("INVALID_VALUE", `invalid value at ${at}: ${why}`, { details: { path: at } });
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "bigint") return "BigInt";
  return typeof value;
}

/** Parses JSON text into a value, as INVALID_VALUE with the parser's reason when it is not JSON. */
export function parseJsonValue(text: string, what = "value"): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    throw new StoreError("INVALID_VALUE", `invalid ${what}: not JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
}
