import type { execa as Execa } from "execa";

let loaded: typeof Execa | undefined;
let loading: Promise<typeof Execa> | undefined;

/**
 * execa, imported on first use. It is ESM-only, and a dynamic import keeps this package's CommonJS
 * build loadable on every Node 20 (a static one would become a `require` of an ES module).
 */
export function execaFunction(): typeof Execa | Promise<typeof Execa> {
  if (loaded) return loaded;
  loading ??= import("execa").then((m) => {
    loaded = m.execa;
    return loaded;
  });
  return loading;
}
