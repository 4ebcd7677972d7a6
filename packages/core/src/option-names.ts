import { StoreError } from "./errors";

/**
 * Manifests spell backend options in snake_case (`busy_timeout_ms`), TypeScript in camelCase
 * (`busyTimeoutMs`); a backend accepts both. `snakeToCamel` lists the options that have two spellings.
 */

/** The options schema's `properties`, with each snake_case spelling accepted as its camelCase twin. */
export function withSnakeCaseAliases(
  properties: Record<string, unknown>,
  snakeToCamel: Record<string, string>,
): Record<string, unknown> {
  return {
    ...properties,
    ...Object.fromEntries(Object.entries(snakeToCamel).map(([snake, camel]) => [snake, properties[camel]])),
  };
}

/** The options with every snake_case name turned camelCase; giving both spellings is an error. */
export function normalizeOptionNames<T extends object>(
  backend: string,
  raw: T | undefined,
  snakeToCamel: Record<string, string>,
): T {
  const options: Record<string, unknown> = { ...raw };
  for (const [snake, camel] of Object.entries(snakeToCamel)) {
    if (!(snake in options)) continue;
    if (camel in options) {
      throw new StoreError(
        "INVALID_ARGUMENT",
        `${backend}: options "${snake}" and "${camel}" are the same option; give one`,
        { details: { field: snake } },
      );
    }
    options[camel] = options[snake];
    delete options[snake];
  }
  return options as T;
}
