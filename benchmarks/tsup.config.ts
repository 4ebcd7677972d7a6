import { defineConfig } from "tsup";
import { packageConfig } from "../tsup.base";

// A private CLI, not a published package: one ESM entry, no type declarations. Dependencies stay
// external, so the backends are loaded from their built dist like a user would load them.
export default defineConfig(
  packageConfig({
    entry: ["src/main.ts"],
    format: ["esm"],
    dts: false,
    treeshake: false,
  }),
);
