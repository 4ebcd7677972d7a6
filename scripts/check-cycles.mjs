#!/usr/bin/env node
// Fails when any import cycle exists: between the source files of a package (static imports and
// re-exports; `import type` too, since a type cycle is still a design cycle), and between the
// workspace packages themselves (their dependencies in package.json). No dependencies of its own.
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const SOURCE = /\.(m?ts|m?js|tsx)$/;
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^;'"]*?from\s*["']([^"']+)["']|(?:^|\n)\s*import\s*["']([^"']+)["']/g;

function workspaceDirs() {
  const dirs = [];
  for (const group of ["packages", "apps", "examples"]) {
    const base = path.join(root, group);
    if (!fs.existsSync(base)) continue;
    for (const name of fs.readdirSync(base)) {
      if (fs.existsSync(path.join(base, name, "package.json"))) dirs.push(path.join(base, name));
    }
  }
  if (fs.existsSync(path.join(root, "benchmarks", "package.json"))) dirs.push(path.join(root, "benchmarks"));
  return dirs;
}

function sourceFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      if (entry.name === "node_modules" || entry.name === "dist") continue;
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (SOURCE.test(entry.name) && !entry.name.endsWith(".d.ts")) out.push(p);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

function resolveRelative(from, spec) {
  const base = path.resolve(path.dirname(from), spec);
  const candidates = [
    base,
    ...[".ts", ".tsx", ".mts", ".js", ".mjs"].map((e) => base + e),
    path.join(base, "index.ts"),
  ];
  // `./x.js` written for ESM resolves to `./x.ts` in TypeScript sources.
  if (/\.m?js$/.test(base)) candidates.push(base.replace(/\.m?js$/, ".ts"));
  return candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
}

/** Every cycle of a graph (Map node -> Set of nodes), each reported once, by depth-first search. */
function cycles(graph) {
  const found = [];
  const state = new Map(); // 1 = on the stack, 2 = done
  const stack = [];
  const visit = (node) => {
    state.set(node, 1);
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 1) found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 2);
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

const problems = [];
const packages = new Map();
for (const dir of workspaceDirs()) {
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
  packages.set(pkg.name, pkg);
  const graph = new Map();
  for (const file of [...sourceFiles(path.join(dir, "src")), ...sourceFiles(path.join(dir, "test"))]) {
    const text = fs.readFileSync(file, "utf8");
    const edges = new Set();
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2];
      if (!spec?.startsWith(".")) continue;
      const target = resolveRelative(file, spec);
      if (target) edges.add(target);
    }
    graph.set(file, edges);
  }
  for (const cycle of cycles(graph)) {
    problems.push(`import cycle in ${pkg.name}: ${cycle.map((f) => path.relative(root, f)).join(" -> ")}`);
  }
}

const packageGraph = new Map();
for (const [name, pkg] of packages) {
  const deps = { ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies };
  packageGraph.set(name, new Set(Object.keys(deps).filter((d) => packages.has(d))));
}
for (const cycle of cycles(packageGraph)) problems.push(`package dependency cycle: ${cycle.join(" -> ")}`);

if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`no import cycles (${packages.size} workspace packages)`);
