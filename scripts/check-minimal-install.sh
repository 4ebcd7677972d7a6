#!/usr/bin/env bash
# A user installs only what they use (DESIGN.md §2). Packs the packages as they would be published
# and installs the tarballs with npm (no workspace, no pnpm symlinks), three ways:
#   1. @store/core + @store/backend-file: no better-sqlite3, execa or pg; used from ESM and CommonJS.
#   2. @store/core + @store/backend-local: better-sqlite3 built by npm; used from ESM and CommonJS.
#   3. @store/cli installed globally: runs on Node 20 with nothing else, on local and file stores.
# Fails loudly on any mismatch.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() {
  echo "check-minimal-install: FAILED: $*" >&2
  exit 1
}
# shellcheck source=lib/packed.sh
. "$root/scripts/lib/packed.sh"
npm_install() { npm install --no-audit --no-fund --loglevel=error "$@" >/dev/null; }

# shellcheck disable=SC2046
pack_packages $(workspace_closure @store/cli)

echo "1. @store/core + @store/backend-file"
mkdir "$work/file-app" && cd "$work/file-app"
echo '{ "name": "minimal-app", "private": true, "type": "module" }' >package.json
npm_install "$(tarball @store/core)" "$(tarball @store/backend-file)"
for heavy in better-sqlite3 execa pg; do
  [ ! -e "node_modules/$heavy" ] || fail "core + file pulled in $heavy"
done
cat >app.mjs <<'JS'
import { loadManifests, StoreManager } from "@store/core";
const resources = loadManifests({ objects: [{ apiVersion: "wfstore.dev/v1", kind: "WorkflowStore", metadata: { name: "notes" }, spec: { provider: "file" } }] });
const manager = new StoreManager({ dataDir: ".data", resources });
const put = await manager.store("notes").put("hello", { data: "hello" }, { taskId: "t1" });
const entry = await manager.store("notes").getEntry("hello");
if (JSON.stringify(entry.value) !== '{"data":"hello"}' || entry.taskId !== "t1" || entry.version !== put.version) throw new Error(`round trip failed: ${JSON.stringify(entry)}`);
const local = await manager.store("elsewhere").get("k").catch((e) => e);
if (local.code !== "PLUGIN_NOT_INSTALLED" || !local.message.includes("@store/backend-local")) throw new Error(`expected PLUGIN_NOT_INSTALLED, got ${local}`);
await manager.close();
console.log("   esm: a file store works; a local store says:", local.message);
JS
cat >app.cjs <<'JS'
const { StoreManager } = require("@store/core");
const { fileBackend } = require("@store/backend-file");
const manager = new StoreManager({ dataDir: ".data-cjs", backends: [fileBackend], defaultProvider: "file" });
manager.store("s").put("k", [1, 2]).then(() => manager.store("s").get("k")).then(async (v) => {
  if (JSON.stringify(v) !== "[1,2]") throw new Error("cjs round trip failed");
  await manager.close();
  console.log("   cjs: a file store works");
});
JS
node app.mjs
node app.cjs
[ "$(cat .data/stores/notes/_default/hello.json)" = '{"data":"hello"}' ] || fail "the file store's value file is not the plain value"

echo "2. @store/core + @store/backend-local (npm builds better-sqlite3)"
mkdir "$work/local-app" && cd "$work/local-app"
echo '{ "name": "local-app", "private": true, "type": "module" }' >package.json
npm_install "$(tarball @store/core)" "$(tarball @store/backend-local)"
[ -e node_modules/better-sqlite3 ] || fail "core + local did not install better-sqlite3"
for heavy in execa pg; do
  [ ! -e "node_modules/$heavy" ] || fail "core + local pulled in $heavy"
done
cat >app.mjs <<'JS'
import { StoreManager } from "@store/core";
const manager = new StoreManager({ dataDir: ".data" }); // undeclared stores: the default local provider
const s = manager.store("metrics", { project: "p" });
const first = await s.put("run", { n: 1 });
await s.update("run", (v) => ({ n: v.n + 1 }));
const conflict = await s.put("run", { n: 0 }, { ifVersion: first.version }).catch((e) => e);
if (conflict.code !== "CONFLICT") throw new Error(`expected CONFLICT, got ${conflict}`);
const entry = await s.getEntry("run");
if (entry.value.n !== 2 || entry.version <= first.version) throw new Error(`local round trip failed: ${JSON.stringify(entry)}`);
await manager.close();
console.log("   esm: a local store works (versions, update, conflicts)");
JS
cat >app.cjs <<'JS'
const { StoreManager } = require("@store/core");
const { localBackend } = require("@store/backend-local");
const manager = new StoreManager({ dataDir: ".data", backends: [localBackend] });
manager.store("metrics", { project: "p" }).get("run").then(async (v) => {
  if (v?.n !== 2) throw new Error(`cjs read ${JSON.stringify(v)}`);
  await manager.close();
  console.log("   cjs: reads what the ESM app wrote");
});
JS
node app.mjs
node app.cjs
[ -f .data/store.sqlite ] || fail "no SQLite file at .data/store.sqlite"

echo "3. @store/cli installed globally (npm -g, better-sqlite3 built by npm)"
mkdir -p "$work/global" "$work/user"
npm install -g --prefix "$work/global" --no-audit --no-fund --loglevel=error "$(repack_cli)" >/dev/null
wfstore="$work/global/bin/wfstore"
[ -x "$wfstore" ] || fail "npm install -g did not install $wfstore"
cd "$work/user"
# Nothing else: a minimal environment, the global prefix's bin and Node on PATH.
export_env=(env -i "PATH=$work/global/bin:$(dirname "$(command -v node)"):/usr/bin:/bin" "HOME=$work/user")
cli() { "${export_env[@]}" wfstore --data-dir "$work/user/.wfstore" "$@"; }
cli --help | grep -q "store" || fail "wfstore --help printed no commands"
cat >stores.yaml <<'YAML'
apiVersion: wfstore.dev/v1
kind: WorkflowStore
metadata: { name: journal }
spec: { provider: file, retention: { max_entries: 2 } }
YAML
cli apply -f stores.yaml >/dev/null
cli store put metrics last '{"n": 42}' --task t-1 >/dev/null
[ "$(cli store get metrics last)" = '{"n":42}' ] || fail "store get on a local store printed $(cli store get metrics last)"
version="$(cli --json store get metrics last | node -e 'process.stdin.on("data", (d) => console.log(JSON.parse(d).version))')"
status=0
cli store put metrics last '{"n": 0}' --if-version "$((version + 1))" 2>/dev/null || status=$?
[ "$status" -eq 4 ] || fail "a conditional put with a stale version exited $status, not 4"
for k in a b c; do cli store put journal "$k" "\"$k\"" >/dev/null; done
[ "$(cli --json store list journal | node -e 'process.stdin.on("data", (d) => console.log(JSON.parse(d).length))')" = 2 ] ||
  fail "the file store's retention did not keep 2 entries"
status=0
cli store get metrics absent >/dev/null 2>&1 || status=$?
[ "$status" -eq 1 ] || fail "store get of an absent key exited $status, not 1"
echo "   wfstore: --help, apply, local and file stores, conditional writes and exit codes work"
echo "minimal install: core + file without native modules, core + local, and the global CLI all work from npm"
