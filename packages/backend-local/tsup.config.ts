import { defineConfig } from "tsup";
import { packageConfig } from "../../tsup.base";

// shims: `import.meta.url` in the CommonJS build, to find better-sqlite3's addon directly.
export default defineConfig(packageConfig({ shims: true }));
