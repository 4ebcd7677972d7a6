import { defineConfig } from "tsup";

// Dual ESM/CJS with types for each: core imports plugins either way (a CLI installed globally
// resolves the package with require.resolve, which picks the "require" build).
export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  platform: "node",
  splitting: false,
  treeshake: true,
});
