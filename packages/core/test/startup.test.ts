import { execFileSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

const dist = path.resolve(__dirname, "../dist");

describe("what loading core costs", () => {
  it("the manifest validators checked in are the ones the schemas generate", () => {
    execFileSync(process.execPath, [
      path.resolve(__dirname, "../scripts/compile-manifest-validators.mjs"),
      "--check",
    ]);
  });

  it("ops on a store without a schema load neither ajv, re2js nor yaml; a schema loads them on first put", () => {
    // The built package, as users load it; a child process, so this test's own imports do not count.
    const script = `
      import { createRequire } from "node:module";
      import { StoreManager, ResourceSet } from ${JSON.stringify(`${dist}/index.js`)};
      import { defineBackend } from ${JSON.stringify(`${dist}/backend.js`)};
      const loaded = () => Object.keys(createRequire(import.meta.url).cache)
        .map((f) => /node_modules\\/(?:\\.pnpm\\/[^/]+\\/node_modules\\/)?((?:@[^/]+\\/)?[^/]+)/.exec(f)?.[1]).filter(Boolean);
      const data = new Map();
      const backend = defineBackend({ name: "tiny", specificationVersion: "v2", create: () => ({
        get: (ref, key) => data.get(key),
        put: (ref, r) => { data.set(r.key, { ...r, createdAt: r.updatedAt, version: 1 }); return 1; },
        delete: (ref, key) => data.delete(key),
        list: () => [...data.values()],
        close() {},
      }) });
      const resources = new ResourceSet({ stores: [{ name: "typed", provider: "tiny", retention: {}, schema: { type: "string", pattern: "^a+$" } }] });
      const m = new StoreManager({ resources, backends: [backend], defaultProvider: "tiny" });
      await m.store("plain").put("k", 1);
      await m.store("plain").get("k");
      await m.store("typed").get("k");
      const before = [...new Set(loaded())];
      await m.store("typed").put("k", "aaa");
      console.log(JSON.stringify({ before, after: [...new Set(loaded())] }));
    `;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    const { before, after } = JSON.parse(out) as { before: string[]; after: string[] };
    expect(before.filter((p) => ["ajv", "re2js", "yaml", "ajv-formats"].includes(p))).toEqual([]);
    expect(after).toEqual(expect.arrayContaining(["ajv", "re2js"]));
  });
});
