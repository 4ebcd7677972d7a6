import { StoreError } from "../errors";

const SNAKE = /_([a-z0-9])/g;

/** `busy_timeout_ms` → `busyTimeoutMs`; names without `_` are unchanged. */
export function camelCaseName(name: string): string {
  return name.includes("_") ? name.replace(SNAKE, (_, c: string) => c.toUpperCase()) : name;
}

/**
 * Manifests spell options in snake_case, the TypeScript API in camelCase. Core turns the top-level
 * names of a provider's options into camelCase before validating them against the backend's schema,
 * so a backend declares and reads one spelling only. Giving both spellings of a name is an error.
 * Returns the options and, for messages, the name the user wrote for each converted one.
 */
export function camelCaseOptions(
  raw: Record<string, unknown>,
  where: string,
): { options: Record<string, unknown>; written: Map<string, string> } {
  const options: Record<string, unknown> = {};
  const written = new Map<string, string>();
  for (const [name, value] of Object.entries(raw)) {
    const camel = camelCaseName(name);
    if (camel in options) {
      throw new StoreError(
        "INVALID_ARGUMENT",
        `${where}: options "${written.get(camel) ?? camel}" and "${name}" are the same option; give one`,
        { details: { field: name } },
      );
    }
    options[camel] = value;
    written.set(camel, name);
  }
  return { options, written };
}
