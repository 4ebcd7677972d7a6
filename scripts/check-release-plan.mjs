#!/usr/bin/env node
// Proves the release policy of CONTRIBUTING.md on a scratch copy of the workspace: once everything is
// released, a patch (or a minor) to @store/core releases core alone, and a major releases the
// packages that peer on it too. Uses the repository's own changesets CLI and configuration.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const changeset = path.join(root, "node_modules", ".bin", "changeset");
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "wfstore-release-plan-"));

function copyWorkspace() {
  fs.copyFileSync(path.join(root, "package.json"), path.join(scratch, "package.json"));
  fs.copyFileSync(path.join(root, "pnpm-workspace.yaml"), path.join(scratch, "pnpm-workspace.yaml"));
  fs.mkdirSync(path.join(scratch, ".changeset"));
  fs.copyFileSync(
    path.join(root, ".changeset", "config.json"),
    path.join(scratch, ".changeset", "config.json"),
  );
  const packages = [];
  for (const group of ["packages", "apps", "examples", "benchmarks"]) {
    const dirs =
      group === "benchmarks"
        ? [""]
        : fs.existsSync(path.join(root, group))
          ? fs.readdirSync(path.join(root, group))
          : [];
    for (const name of dirs) {
      const rel = path.join(group, name);
      const file = path.join(root, rel, "package.json");
      if (!fs.existsSync(file)) continue;
      const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
      // "Everything released": every package at 1.0.0, as after the first stable release.
      if (!pkg.private) pkg.version = "1.0.0";
      fs.mkdirSync(path.join(scratch, rel), { recursive: true });
      fs.writeFileSync(path.join(scratch, rel, "package.json"), JSON.stringify(pkg, null, 2));
      packages.push(pkg);
    }
  }
  execFileSync("git", ["init", "-q", "-b", "main"], { cwd: scratch });
  execFileSync("git", ["-c", "user.name=ci", "-c", "user.email=ci@example.invalid", "add", "-A"], {
    cwd: scratch,
  });
  execFileSync(
    "git",
    ["-c", "user.name=ci", "-c", "user.email=ci@example.invalid", "commit", "-qm", "released"],
    { cwd: scratch },
  );
  return packages;
}

function plan(bump) {
  fs.writeFileSync(
    path.join(scratch, ".changeset", "core-change.md"),
    `---\n"@store/core": ${bump}\n---\n\nA ${bump} change.\n`,
  );
  const out = path.join(scratch, "plan.json");
  execFileSync(changeset, ["status", `--output=${out}`], { cwd: scratch, stdio: "pipe" });
  const { releases } = JSON.parse(fs.readFileSync(out, "utf8"));
  return Object.fromEntries(releases.map((r) => [r.name, r.type]));
}

try {
  const packages = copyWorkspace();
  const { ignore = [] } = JSON.parse(fs.readFileSync(path.join(root, ".changeset", "config.json"), "utf8"));
  const peers = packages
    .filter((p) => !p.private && !ignore.includes(p.name) && p.peerDependencies?.["@store/core"])
    .map((p) => p.name);
  const failures = [];
  for (const bump of ["patch", "minor"]) {
    const releases = plan(bump);
    const others = Object.entries(releases).filter(
      ([name, type]) => name !== "@store/core" && type !== "none",
    );
    if (releases["@store/core"] !== bump)
      failures.push(`a ${bump} changeset did not plan a ${bump} of @store/core`);
    if (others.length > 0)
      failures.push(
        `a ${bump} of @store/core also releases ${others.map(([n, t]) => `${n} (${t})`).join(", ")}`,
      );
    console.log(`core ${bump}: ${JSON.stringify(releases)}`);
  }
  const major = plan("major");
  const missing = peers.filter((name) => major[name] !== "major");
  if (missing.length > 0)
    failures.push(
      `a major of @store/core does not release its peer dependents ${missing.join(", ")} as major`,
    );
  console.log(`core major: ${JSON.stringify(major)}`);
  if (failures.length > 0) {
    console.error(failures.join("\n"));
    process.exit(1);
  }
  console.log(
    `release plan: a core patch or minor releases core alone; a major releases its ${peers.length} peer dependents`,
  );
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
