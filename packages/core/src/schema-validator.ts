import { Ajv, type AnySchema, type ErrorObject, type ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { StoreError } from "./errors";

// ajv-formats is CJS with a default export; bundlers and Node disagree on where it lands.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as unknown as (ajv: Ajv) => void;

/**
 * Compiles store schemas (trusted configuration) once per distinct content. No remote `$ref` is ever
 * fetched (no `loadSchema`), `$data` is off, and draft-07 and 2020-12 schemas are both understood.
 */
export class SchemaValidators {
  private readonly cache = new Map<string, ValidateFunction>();
  private draft7?: Ajv;
  private draft2020?: Ajv;

  /** Problems with the schema itself, or an empty list when it is a valid, compilable schema. */
  check(schema: unknown): { pointer: string; path: string; message: string }[] {
    if (typeof schema === "boolean") return [];
    if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
      return [{ pointer: "", path: "", message: "a JSON Schema must be an object or a boolean" }];
    }
    const ajv = this.ajvFor(schema);
    if (!ajv.validateSchema(schema as AnySchema)) {
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
      return [{ pointer: "", path: "", message: `cannot compile: ${(error as Error).message}` }];
    }
  }

  /** The compiled validator for `schema`, compiled on first use only. */
  compile(schema: Record<string, unknown> | boolean): ValidateFunction {
    const cacheKey = JSON.stringify(schema);
    let validate = this.cache.get(cacheKey);
    if (!validate) {
      const ajv = this.ajvFor(schema);
      validate = ajv.compile(schema as AnySchema);
      this.cache.set(cacheKey, validate);
    }
    return validate;
  }

  /** How many distinct schemas were compiled (for tests of the cache). */
  get size(): number {
    return this.cache.size;
  }

  private ajvFor(schema: unknown): Ajv {
    const dialect =
      typeof schema === "object" && schema !== null ? (schema as { $schema?: unknown }).$schema : undefined;
    if (typeof dialect === "string" && dialect.includes("2020-12")) {
      this.draft2020 ??= configure(new Ajv2020(ajvOptions) as unknown as Ajv);
      return this.draft2020;
    }
    this.draft7 ??= configure(new Ajv(ajvOptions));
    return this.draft7;
  }
}

const ajvOptions = {
  allErrors: true,
  strict: false,
  $data: false,
  // Two stores may use schemas with the same $id but different content; never register them globally.
  addUsedSchema: false,
  validateSchema: false,
} as const;

function configure(ajv: Ajv): Ajv {
  addFormats(ajv);
  return ajv;
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

/**
 * An `anyOf` failure comes with one error per branch, which reads as noise. Keep the `anyOf` itself when
 * its schema explains itself (`x-message`), else the first branch's error, and drop the rest.
 */
export function collapseAnyOf(errors: ErrorObject[]): ErrorObject[] {
  const groups = errors.filter((e) => e.keyword === "anyOf");
  if (groups.length === 0) return errors;
  // Branch errors sit at or below the anyOf's instance path (their schemaPath may run through a $ref).
  const branchOf = (e: ErrorObject) =>
    groups.find(
      (g) =>
        e !== g && (e.instancePath === g.instancePath || e.instancePath.startsWith(`${g.instancePath}/`)),
    );
  const keptBranch = new Set<ErrorObject>();
  for (const g of groups) {
    const explained = (g.parentSchema as { "x-message"?: string } | undefined)?.["x-message"];
    const first = errors.find((e) => branchOf(e) === g);
    if (!explained && first) keptBranch.add(first);
  }
  return errors.filter((e) => {
    if (e.keyword === "anyOf")
      return (
        (e.parentSchema as { "x-message"?: string } | undefined)?.["x-message"] !== undefined ||
        !errors.some((x) => branchOf(x) === e)
      );
    const group = branchOf(e);
    return !group || keptBranch.has(e);
  });
}

/** `/a/0/b~1c` → `a[0]["b/c"]`; readable paths for messages. */
export function pointerToPath(pointer: string): string {
  if (!pointer) return "";
  let out = "";
  for (const raw of pointer.slice(1).split("/")) {
    const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (/^\d+$/.test(seg)) out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** A one-line reason for an ajv error, with the parameters that make it actionable. */
export function describe(error: ErrorObject): string {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return `missing required property "${p.missingProperty}"`;
    case "additionalProperties":
      return `unknown property "${p.additionalProperty}"`;
    case "type":
      return `must be ${p.type}`;
    case "enum":
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    case "const":
      return `must be ${JSON.stringify(p.allowedValue)}`;
    default:
      return error.message ?? error.keyword;
  }
}
