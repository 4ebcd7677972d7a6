import { defineConfig } from "tsup";
import { packageConfig } from "../../tsup.base";

/**
 * One build for the library (`run`, dual ESM/CJS with types) and the `wfstore` bin. src/bin.ts starts
 * with `#!/usr/bin/env node`: esbuild keeps the hashbang and tsup marks such outputs executable.
 * One config, not two, because tsup runs configs in parallel and `clean` of one would race the other.
 */
export default defineConfig(
  packageConfig({
    entry: ["src/index.ts", "src/bin.ts"],
    dts: { entry: { index: "src/index.ts" } },
  }),
);
