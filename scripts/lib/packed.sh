# Shared by the install checks: workspace packages packed as they would be published, and the CLI
# repacked so that npm takes its @store/* dependencies from those tarballs (they are not on the
# registry) and only third-party packages from the registry. Source it with $root and $work set,
# and a `fail` function defined.

# The workspace packages that the given ones depend on (dependencies and peers), themselves included.
workspace_closure() {
  (cd "$root" && node -e '
    const fs = require("node:fs");
    const dirs = {};
    for (const base of ["packages", "examples"])
      for (const d of fs.readdirSync(base)) {
        const file = `${base}/${d}/package.json`;
        if (fs.existsSync(file)) dirs[JSON.parse(fs.readFileSync(file, "utf8")).name] = `${base}/${d}`;
      }
    const seen = new Set();
    const visit = (name) => {
      if (seen.has(name)) return;
      seen.add(name);
      const pkg = JSON.parse(fs.readFileSync(`${dirs[name]}/package.json`, "utf8"));
      for (const deps of [pkg.dependencies, pkg.peerDependencies])
        for (const [dep, range] of Object.entries(deps ?? {})) if (String(range).startsWith("workspace:")) visit(dep);
    };
    for (const name of process.argv.slice(1)) visit(name);
    console.log([...seen].join(" "));
  ' "$@")
}

# Builds (turbo, cached) and packs the packages into $work/tarballs.
pack_packages() {
  local filters=() p
  for p in "$@"; do filters+=(--filter "$p"); done
  (cd "$root" && pnpm exec turbo run build "${filters[@]}" --output-logs=errors-only >/dev/null) || fail "the build failed"
  mkdir -p "$work/tarballs"
  (cd "$root" && pnpm "${filters[@]}" exec pnpm pack --pack-destination "$work/tarballs" >/dev/null)
  ls "$work/tarballs"/*.tgz >/dev/null || fail "pnpm pack produced no tarballs"
}

# The tarball of a package name: @store/core -> $work/tarballs/store-core-<version>.tgz
tarball() {
  local file
  file="$(ls "$work/tarballs/$(echo "${1#@}" | tr / -)"-[0-9]*.tgz 2>/dev/null | head -n 1)"
  [ -n "$file" ] || fail "no tarball for $1"
  echo "$file"
}

# Repacks the CLI's tarball with file: dependencies on the other tarballs; prints its path.
repack_cli() {
  rm -rf "$work/cli-repack" && mkdir -p "$work/cli-repack"
  tar -xzf "$(tarball @store/cli)" -C "$work/cli-repack"
  WORK="$work" node -e '
    const fs = require("node:fs");
    const dir = `${process.env.WORK}/tarballs`;
    const file = `${process.env.WORK}/cli-repack/package/package.json`;
    const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
    for (const name of Object.keys(pkg.dependencies ?? {})) {
      if (!name.startsWith("@store/")) continue;
      const base = name.replace(/^@/, "").replace("/", "-");
      const tgz = fs.readdirSync(dir).find((f) => f.startsWith(`${base}-`) && /^\d/.test(f.slice(base.length + 1)));
      if (!tgz) throw new Error(`no tarball for ${name}`);
      pkg.dependencies[name] = `file:${dir}/${tgz}`;
    }
    fs.writeFileSync(file, JSON.stringify(pkg, null, 2));
  ' || fail "repacking the CLI failed"
  (cd "$work/cli-repack/package" && npm pack --silent --pack-destination "$work/cli-repack" >/dev/null)
  ls "$work/cli-repack"/store-cli-*.tgz
}
