/** How big a store's JSON Schema may be: configuration, but it is compiled, so it is bounded. */
export const SCHEMA_LIMITS = {
  /** Nesting of the schema document itself (objects and arrays). */
  maxDepth: 64,
  /** Objects, arrays and values in the schema document. */
  maxNodes: 200_000,
} as const;

export interface SchemaProblem {
  /** JSON pointer inside the schema. */
  pointer: string;
  message: string;
}

/** Keywords whose values are data, not subschemas: a `format` key inside them is not a format. */
const DATA_KEYWORDS = new Set(["enum", "const", "default", "examples", "example"]);

const escapePointer = (key: string) => key.replace(/~/g, "~0").replace(/\//g, "~1");

/**
 * Walks the schema without recursion (a hostile schema cannot overflow the stack) and reports what
 * would make compiling it fail, hang or silently check less than it says: excessive depth or size,
 * and `format`s the validator does not know (they would be ignored).
 */
export function inspectSchema(schema: unknown, knownFormats: ReadonlySet<string>): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const stack: { value: unknown; pointer: string; depth: number; data: boolean }[] = [
    { value: schema, pointer: "", depth: 0, data: false },
  ];
  let nodes = 0;
  while (stack.length > 0) {
    const { value, pointer, depth, data } = stack.pop() as (typeof stack)[number];
    if (++nodes > SCHEMA_LIMITS.maxNodes) {
      return [
        { pointer: "", message: `the schema is too large: more than ${SCHEMA_LIMITS.maxNodes} values` },
      ];
    }
    if (typeof value !== "object" || value === null) continue;
    if (depth >= SCHEMA_LIMITS.maxDepth) {
      return [
        { pointer, message: `the schema is nested more than ${SCHEMA_LIMITS.maxDepth} levels deep here` },
      ];
    }
    const entries = Array.isArray(value)
      ? value.map((v, i) => [String(i), v] as const)
      : Object.entries(value);
    for (const [key, child] of entries) {
      if (
        !data &&
        !Array.isArray(value) &&
        key === "format" &&
        typeof child === "string" &&
        !knownFormats.has(child)
      ) {
        problems.push({
          pointer: `${pointer}/format`,
          message: `unknown format "${child}": it would not be checked (known: ${[...knownFormats].sort().join(", ")})`,
        });
      }
      stack.push({
        value: child,
        pointer: `${pointer}/${escapePointer(key)}`,
        depth: depth + 1,
        data: data || (!Array.isArray(value) && DATA_KEYWORDS.has(key)),
      });
    }
  }
  return problems;
}
