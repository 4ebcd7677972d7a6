import type { Options } from "tsup";

/** The one tsup configuration every published package builds with: dual ESM/CJS, types for each. */
export function packageConfig(overrides: Partial<Options> = {}): Options {
  return {
    entry: ["src/index.ts"],
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    clean: true,
    target: "node20",
    platform: "node",
    splitting: false,
    treeshake: true,
    ...overrides,
  };
}
