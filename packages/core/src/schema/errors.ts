import type { ErrorObject } from "ajv";

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
