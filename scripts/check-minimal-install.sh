#!/usr/bin/env bash
# Brief §2: "a user installs only what they use: @store/core + @store/backend-file must work without
# better-sqlite3 or execa installed". Packs the two packages as they would be published, installs the
# tarballs with npm into an empty project (no workspace, no pnpm symlinks), and uses a file store
# from ESM and CommonJS. Fails if better-sqlite3 got installed or anything is missing from the tarballs.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$root"
pnpm --filter @store/core --filter @store/backend-file exec pnpm pack --pack-destination "$work" >/dev/null
mkdir "$work/app" && cd "$work/app"
echo '{ "name": "minimal-app", "private": true, "type": "module" }' > package.json
npm install --no-audit --no-fund --loglevel=error "$work"/store-core-*.tgz "$work"/store-backend-file-*.tgz >/dev/null
if [ -e node_modules/better-sqlite3 ] || [ -e node_modules/execa ]; then
  echo "minimal install pulled in better-sqlite3 or execa"; exit 1
fi
cat > app.mjs <<'JS'
import { loadManifests, StoreManager } from "@store/core";
const resources = loadManifests({ objects: [{ apiVersion: "wfstore.dev/v1", kind: "WorkflowStore", metadata: { name: "notes" }, spec: { provider: "file" } }] });
const manager = new StoreManager({ dataDir: ".data", resources });
await manager.store("notes").put("hello", { data: "hello" }, { taskId: "t1" });
const entry = await manager.store("notes").getEntry("hello");
if (JSON.stringify(entry.value) !== '{"data":"hello"}' || entry.taskId !== "t1") throw new Error("round trip failed");
const local = await manager.store("elsewhere").get("k").catch((e) => e);
if (local.code !== "PLUGIN_NOT_INSTALLED" || !local.message.includes("@store/backend-local")) throw new Error(`expected PLUGIN_NOT_INSTALLED, got ${local}`);
await manager.close();
console.log("esm: file store works; local says:", local.message);
JS
cat > app.cjs <<'JS'
const { StoreManager } = require("@store/core");
const { fileBackend } = require("@store/backend-file");
const manager = new StoreManager({ dataDir: ".data-cjs", backends: [fileBackend], defaultProvider: "file" });
manager.store("s").put("k", [1, 2]).then(() => manager.store("s").get("k")).then(async (v) => {
  if (JSON.stringify(v) !== "[1,2]") throw new Error("cjs round trip failed");
  await manager.close();
  console.log("cjs: file store works");
});
JS
node app.mjs
node app.cjs
test "$(cat .data/stores/notes/_default/hello.json)" = '{"data":"hello"}'
echo "minimal install: @store/core + @store/backend-file work without better-sqlite3 or execa"
