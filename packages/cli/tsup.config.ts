import path from "node:path";
import { defineConfig } from "tsup";
import { packageConfig } from "../../tsup.base";

/**
 * One build for the library (`run`, dual ESM/CJS with types) and the `wfstore` bin. src/bin.ts starts
 * with `#!/usr/bin/env node`: esbuild keeps the hashbang and tsup marks such outputs executable.
 * One config, not two, because tsup runs configs in parallel and `clean` of one would race the other.
 *
 * Start-up (issue 15): the bin is dist/bin.cjs, and commander is bundled (one file to load instead
 * of a CommonJS package resolved and wrapped at every start). The @store packages stay external: they are libraries a user's project
 * may share with the CLI, and each backend is imported only when a store needs it. yaml stays external
 * too, imported only by the commands that print YAML.
 */
/**
 * commander requires child_process when it loads (for executable subcommands, which wfstore has none
 * of): in the bundle that require gets a shim that loads the real module on first use. Backends are
 * external, so they get the real one.
 */
const SHIM = path.resolve(import.meta.dirname, "src/shims/lazy-child-process.cjs");
const lazyChildProcess = {
  name: "lazy-child-process",
  setup(build: {
    onResolve(o: { filter: RegExp }, f: (args: { importer: string }) => { path: string } | undefined): void;
  }) {
    build.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.importer === SHIM ? undefined : { path: SHIM },
    );
  },
};

export default defineConfig(
  packageConfig({
    entry: ["src/index.ts", "src/bin.ts"],
    dts: { entry: { index: "src/index.ts" } },
    noExternal: ["commander"],
    // Keep `node:` imports as written (Node 20 has them), so that the plugin below sees commander's.
    removeNodeProtocol: false,
    esbuildPlugins: [lazyChildProcess],
    // The bin is the CommonJS build (package.json "bin"): Node loads a chain of CommonJS files faster
    // than ES modules, and the backends' CommonJS builds share that one copy of core. Dynamic imports
    // (a backend, yaml) become lazy require() calls there.
    esbuildOptions(options, ctx) {
      if (ctx.format === "cjs") options.supported = { ...options.supported, "dynamic-import": false };
    },
    // commander is CommonJS and requires Node's builtins: the ESM output needs a `require` for them.
    banner: (ctx) =>
      ctx.format === "esm"
        ? {
            js: 'import { createRequire as __wfstoreRequire } from "node:module";\nconst require = __wfstoreRequire(import.meta.url);',
          }
        : {},
  }),
);
