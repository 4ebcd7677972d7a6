import { createRequire } from "node:module";

/**
 * Loads a dependency synchronously the first time it is needed (ajv, re2js, yaml), so that a command
 * that validates no schema and parses no YAML never pays for loading them. tsup's shims give
 * `import.meta.url` a value in the CommonJS build too.
 */
export const lazyRequire = createRequire(import.meta.url);
