import { defineConfig } from "tsup";

/** The demo is an app, not a package: one ESM entry, no types, its workspace dependencies external. */
export default defineConfig({
  entry: ["src/main.ts"],
  format: ["esm"],
  dts: false,
  sourcemap: true,
  clean: true,
  target: "node20",
  platform: "node",
});
