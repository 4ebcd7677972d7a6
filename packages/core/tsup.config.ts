import { defineConfig } from "tsup";
import { packageConfig } from "../../tsup.base";

// shims: `import.meta.url` in the CommonJS build, for the lazy require of ajv, re2js and yaml.
export default defineConfig(packageConfig({ entry: ["src/index.ts", "src/backend.ts"], shims: true }));
