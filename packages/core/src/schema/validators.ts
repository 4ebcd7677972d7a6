import type { Ajv as AjvClass, AnySchema, Options, ValidateFunction } from "ajv";
import { StoreError } from "../errors";
import { collapseAnyOf, describe, pointerToPath } from "./errors";
import { lazyRequire } from "./lazy-require";
import { inspectSchema } from "./limits";

/** What ajv's `code.regExp` option needs: something that tests a string. */
interface RegExpLike {
  test(input: string): boolean;
}

/**
 * `pattern` and `patternProperties` run on RE2 (re2js, linear time), so no pattern in a store's schema
 * can stall a put however the value is crafted (`^(a+)+$` is the classic). RE2 has no lookaround and
 * no backreferences: a schema using them is refused when it is applied, naming the pattern.
 */
function linearRegExp(pattern: string, flags: string): RegExpLike {
  const { RE2JS } = lazyRequire("re2js") as typeof import("re2js");
  try {
    return RE2JS.compile(pattern, flags.includes("i") ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (error) {
    throw new Error(
      `pattern ${JSON.stringify(pattern)} cannot run in linear time (lookaround and backreferences are not supported): ${(error as Error).message}`,
    );
  }
}

const AJV_OPTIONS: Options = {
  allErrors: true,
  strict: false,
  $data: false,
  // Two stores may use schemas with the same $id but different content; never register them globally.
  addUsedSchema: false,
  validateSchema: false,
  // A long enum becomes a loop over its values, not one giant expression (compiles in linear time).
  loopEnum: 16,
  // Unknown formats are reported by inspectSchema as manifest errors; ajv itself stays quiet.
  logger: false,
  code: { regExp: linearRegExp as unknown as NonNullable<Options["code"]>["regExp"] },
};

export interface SchemaIssue {
  pointer: string;
  path: string;
  message: string;
}

/**
 * Compiles store schemas (trusted configuration) once per distinct content. No remote `$ref` is ever
 * fetched (no `loadSchema`), `$data` is off, and draft-07 and 2020-12 schemas are both understood.
 * ajv is loaded on the first compile, not before.
 */
export class SchemaValidators {
  private readonly cache = new Map<string, ValidateFunction>();
  private draft7?: AjvClass;
  private draft2020?: AjvClass;

  /** Problems with the schema itself, or an empty list when it is a valid, compilable schema. */
  check(schema: unknown): SchemaIssue[] {
    if (typeof schema === "boolean") return [];
    if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
      return [{ pointer: "", path: "", message: "a JSON Schema must be an object or a boolean" }];
    }
    const ajv = this.ajvFor(schema);
    const problems = inspectSchema(schema, new Set(Object.keys(ajv.formats)));
    if (problems.length > 0) return problems.map((p) => ({ ...p, path: pointerToPath(p.pointer) }));
    if (!ajv.validateSchema(withShortEnums(schema) as AnySchema)) {
      return collapseAnyOf(ajv.errors ?? []).map((e) => ({
        pointer: e.instancePath,
        path: pointerToPath(e.instancePath),
        message: describe(e),
      }));
    }
    try {
      this.compile(schema as Record<string, unknown>);
      return [];
    } catch (error) {
      // The base id core gave the root means nothing to the author of the schema.
      const reason = (error as Error).message.replace(/ from id urn:wfstore:schema:[0-9a-f]+/g, "");
      return [{ pointer: "", path: "", message: `cannot compile: ${reason}` }];
    }
  }

  /** The compiled validator for `schema`, compiled on first use only. */
  compile(schema: Record<string, unknown> | boolean): ValidateFunction {
    const text = JSON.stringify(schema);
    let validate = this.cache.get(text);
    if (!validate) {
      const ajv = this.ajvFor(schema);
      validate = ajv.compile(withBaseId(schema, text) as AnySchema);
      this.cache.set(text, validate);
    }
    return validate;
  }

  /**
   * A check that throws SCHEMA_VIOLATION for values that do not match `schema`. The schema is compiled
   * on the first check, not before: a command that never writes a store never pays for its schema.
   */
  checker(schema: Record<string, unknown> | boolean, store: string): (value: unknown, key: string) => void {
    let validate: ValidateFunction | undefined;
    return (value, key) => {
      validate ??= this.compile(schema);
      assertMatchesSchema(validate, value, store, key);
    };
  }

  /** How many distinct schemas were compiled (for tests of the cache). */
  get size(): number {
    return this.cache.size;
  }

  private ajvFor(schema: unknown): AjvClass {
    const dialect =
      typeof schema === "object" && schema !== null ? (schema as { $schema?: unknown }).$schema : undefined;
    if (typeof dialect === "string" && dialect.includes("2020-12")) {
      if (!this.draft2020) {
        const { Ajv2020 } = lazyRequire("ajv/dist/2020") as typeof import("ajv/dist/2020");
        this.draft2020 = withFormats(new Ajv2020(AJV_OPTIONS) as unknown as AjvClass);
      }
      return this.draft2020;
    }
    if (!this.draft7) {
      const { Ajv } = lazyRequire("ajv") as typeof import("ajv");
      this.draft7 = withFormats(new Ajv(AJV_OPTIONS));
    }
    return this.draft7;
  }
}

/**
 * The schema with every long `enum` cut to its first values, for checking against the meta-schema:
 * the meta-schema says nothing about an enum's values beyond their being an array, and checking a
 * 100,000-value enum against it is quadratic. Depth is bounded by inspectSchema before this runs.
 */
function withShortEnums(schema: unknown): unknown {
  if (typeof schema !== "object" || schema === null) return schema;
  if (Array.isArray(schema)) return schema.map(withShortEnums);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] =
      key === "enum" && Array.isArray(value) && value.length > 64
        ? value.slice(0, 64)
        : withShortEnums(value);
  }
  return out;
}

function withFormats(ajv: AjvClass): AjvClass {
  const mod = lazyRequire("ajv-formats") as { default?: (a: AjvClass) => void } & ((a: AjvClass) => void);
  (mod.default ?? mod)(ajv);
  return ajv;
}

/**
 * A root without `$id` gets one made from its content, so the standard recursive `{ "$ref": "#" }`
 * resolves (ajv needs a base to resolve "#" against when schemas are not registered globally).
 */
function withBaseId(
  schema: Record<string, unknown> | boolean,
  text: string,
): Record<string, unknown> | boolean {
  if (typeof schema === "boolean" || typeof schema.$id === "string") return schema;
  const { createHash } = lazyRequire("node:crypto") as typeof import("node:crypto");
  const id = `urn:wfstore:schema:${createHash("sha256").update(text).digest("hex").slice(0, 32)}`;
  return { $id: id, ...schema };
}

/** Throws SCHEMA_VIOLATION naming the store, key and the failing paths. */
export function assertMatchesSchema(
  validate: ValidateFunction,
  value: unknown,
  store: string,
  key: string,
): void {
  if (validate(value)) return;
  const errors = validate.errors ?? [];
  const shown = errors
    .slice(0, 5)
    .map((e) => `${pointerToPath(e.instancePath) || "(value)"}: ${describe(e)}`);
  if (errors.length > 5) shown.push(`… and ${errors.length - 5} more`);
  throw new StoreError(
    "SCHEMA_VIOLATION",
    `value for key ${JSON.stringify(key)} does not match the schema of store "${store}": ${shown.join("; ")}`,
    { details: { store, key, errors: errors.map((e) => ({ path: e.instancePath, message: describe(e) })) } },
  );
}
