#!/usr/bin/env node
// Sums the vitest JSON reports of every package (written when CI=true) into one closing line,
// "Tests: N passed, N failed, N skipped", and exits non-zero when a package failed or reported nothing.
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const dirs = ["packages", "apps", "examples"].flatMap((d) =>
  fs.existsSync(path.join(root, d))
    ? fs.readdirSync(path.join(root, d)).map((p) => path.join(root, d, p))
    : [],
);
let passed = 0;
let failed = 0;
let skipped = 0;
let missing = 0;
for (const dir of dirs) {
  const pkg = path.join(dir, "package.json");
  if (!fs.existsSync(pkg) || !JSON.parse(fs.readFileSync(pkg, "utf8")).scripts?.test) continue;
  const report = path.join(dir, "test-results.json");
  if (!fs.existsSync(report)) {
    console.log(`${path.relative(root, dir)}: no test report`);
    missing++;
    continue;
  }
  const r = JSON.parse(fs.readFileSync(report, "utf8"));
  const p = r.numPassedTests ?? 0;
  const f = (r.numFailedTests ?? 0) + (r.numFailedTestSuites ?? 0);
  const s = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(`${path.relative(root, dir)}: ${p} passed, ${f} failed, ${s} skipped`);
  passed += p;
  failed += f;
  skipped += s;
}
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || missing > 0 ? 1 : 0);
