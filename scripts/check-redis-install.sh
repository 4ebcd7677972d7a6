#!/usr/bin/env bash
# A third-party backend the way a user meets it (issue 16): the wfstore CLI installed globally from
# its packed tarballs, @acme/store-backend-redis (examples/redis-backend) installed with npm into a
# project, and `wfstore` run from that project with a manifest whose provider says
# `plugin: "@acme/store-backend-redis"`. Checks put, get and list --json through the CLI, the same
# through the library, that the entries really are in Redis (redis-cli), and that a project without
# the package gets an error naming it. Every key it writes is under one unique prefix, deleted at the
# end. Needs Redis on $REDIS_URL (default redis://127.0.0.1:6379); builds what it packs (turbo, cached).
# Fails loudly on any mismatch.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
redis_url="${REDIS_URL:-redis://127.0.0.1:6379}"
prefix="wfstore-install-check:$$-$RANDOM:"
work="$(mktemp -d)"

fail() {
  echo "check-redis-install: FAILED: $*" >&2
  exit 1
}
rcli() { redis-cli -u "$redis_url" --no-auth-warning "$@"; }
redis_keys() { rcli --scan --pattern "${prefix}*"; }
cleanup() {
  redis_keys | while IFS= read -r key; do rcli unlink "$key" >/dev/null; done || true
  rm -rf "$work"
}
trap cleanup EXIT

command -v redis-cli >/dev/null || fail "redis-cli is not installed"
[ "$(rcli ping)" = "PONG" ] || fail "Redis does not answer at $redis_url"

# 1. Pack the CLI, every workspace package it depends on (transitively), and the Redis backend.
# shellcheck source=lib/packed.sh
. "$root/scripts/lib/packed.sh"
packages="$(workspace_closure @store/cli @acme/store-backend-redis)"
echo "building and packing: $packages"
# shellcheck disable=SC2086
pack_packages $packages

echo "installing the CLI globally and the Redis backend into a project (npm)"
# 2. The CLI, globally, into a temporary prefix, from its repacked tarball. --ignore-scripts: the
# Redis provider needs no native module (check-minimal-install.sh builds better-sqlite3 for the CLI).
mkdir -p "$work/global"
npm install -g --prefix "$work/global" --ignore-scripts --no-audit --no-fund --loglevel=error "$(repack_cli)" >/dev/null
wfstore="$work/global/bin/wfstore"
[ -x "$wfstore" ] || fail "npm install -g did not install $wfstore"

# 3. The user's project: the Redis backend and @store/core (its peer), with npm.
mkdir -p "$work/project" "$work/elsewhere"
cd "$work/project"
echo '{ "name": "redis-user", "private": true, "type": "module" }' >package.json
npm install --no-audit --no-fund --loglevel=error "$(tarball @acme/store-backend-redis)" "$(tarball @store/core)" >/dev/null
[ -d node_modules/ioredis ] || fail "installing the Redis backend did not install ioredis"
[ ! -e node_modules/better-sqlite3 ] || fail "the Redis backend pulled in better-sqlite3"
cat >stores.yaml <<YAML
apiVersion: orchestrator.dev/v2
kind: StoreBackendProvider
metadata:
  name: shared-redis
spec:
  plugin: "@acme/store-backend-redis"
  options:
    url: "$redis_url"
    key_prefix: "$prefix"
---
apiVersion: orchestrator.dev/v2
kind: WorkflowStore
metadata:
  name: lessons
spec:
  provider: shared-redis
  retention:
    max_entries: 10
YAML
cp stores.yaml "$work/elsewhere/stores.yaml"

echo "running wfstore and the library from the project"
# 4. The CLI, run from the project: it resolves the plugin from its working directory.
run() { # run wfstore, fail with its stderr unless it exits 0
  local out
  out="$("$wfstore" --data-dir "$work/data" -f stores.yaml "$@" 2>"$work/stderr")" ||
    fail "wfstore $* exited $?: $(cat "$work/stderr")"
  printf '%s' "$out"
}
run store put lessons "first lesson" '{"text":"retry with backoff"}' --task t-1 >/dev/null
run store put lessons "ключ 😀/2" '[1,2,3]' >/dev/null
got="$(run store get lessons "first lesson")"
[ "$got" = '{"text":"retry with backoff"}' ] || fail "store get printed $got"
list="$(run --json store list lessons)"
LIST="$list" node -e '
  const list = JSON.parse(process.env.LIST);
  const keys = list.map((e) => e.key).sort();
  const want = ["first lesson", "ключ 😀/2"];
  if (JSON.stringify(keys) !== JSON.stringify(want)) throw new Error(`list --json keys ${JSON.stringify(keys)}, expected ${JSON.stringify(want)}`);
  const first = list.find((e) => e.key === "first lesson");
  if (JSON.stringify(first.value) !== "{\"text\":\"retry with backoff\"}" || first.task_id !== "t-1" || !/^\d{4}-.*Z$/.test(first.updated_at))
    throw new Error(`list --json entry ${JSON.stringify(first)}`);
' || fail "store list --json printed $list"

# 5. The entries are in Redis, under the prefix, in the backend's layout.
base="${prefix}{lessons/}"
[ "$(rcli hget "$base:values" "first lesson")" = '{"text":"retry with backoff"}' ] ||
  fail "Redis does not hold the value at $base:values"
[ "$(rcli hget "$base:values" "ключ 😀/2")" = "" ] || fail "an astral key was stored as UTF-8, not in its sort encoding"
[ "$(rcli hlen "$base:values")" = "2" ] || fail "Redis holds $(rcli hlen "$base:values") values, expected 2"
[ "$(rcli zcard "$base:order")" = "2" ] || fail "the order set holds $(rcli zcard "$base:order") members, expected 2"
rcli hget "$base:meta" "first lesson" | grep -Eq '^1 [0-9TZ:.-]+ [0-9TZ:.-]+ t-1$' ||
  fail "unexpected metadata: $(rcli hget "$base:meta" "first lesson")"

# 6. The library, from the same project, by the same manifest.
cat >library.mjs <<'JS'
import fs from "node:fs";
import { loadManifests, StoreManager } from "@store/core";
const resources = loadManifests({ text: fs.readFileSync("stores.yaml", "utf8"), file: "stores.yaml" });
const manager = new StoreManager({ dataDir: ".data", resources });
const lessons = manager.store("lessons");
const entry = await lessons.getEntry("first lesson");
if (entry?.value?.text !== "retry with backoff" || entry.taskId !== "t-1") throw new Error(`library read ${JSON.stringify(entry)}`);
await lessons.put("from the library", true, { ifAbsent: true });
const conflict = await lessons.put("from the library", false, { ifAbsent: true }).catch((e) => e);
if (conflict?.code !== "CONFLICT") throw new Error(`expected CONFLICT, got ${conflict}`);
await manager.close();
JS
node library.mjs || fail "the library could not use the Redis provider"
[ "$(rcli hget "$base:values" "from the library")" = "true" ] || fail "the library's put is not in Redis"

# 7. Where the package is not installed, the CLI says which one to install.
cd "$work/elsewhere"
if "$wfstore" --data-dir "$work/data-elsewhere" -f stores.yaml store get lessons "first lesson" >/dev/null 2>"$work/stderr"; then
  fail "wfstore found the plugin in a directory that does not have it"
fi
grep -q "@acme/store-backend-redis" "$work/stderr" || fail "the not-installed error does not name the package: $(cat "$work/stderr")"

# 8. Clean up, and show that nothing is left.
cleanup_count="$(redis_keys | wc -l)"
[ "$cleanup_count" -gt 0 ] || fail "no keys under $prefix to clean up"
redis_keys | while IFS= read -r key; do rcli unlink "$key" >/dev/null; done
[ -z "$(redis_keys)" ] || fail "keys left under $prefix"
echo "check-redis-install: the globally installed wfstore and the library used @acme/store-backend-redis from the project ($cleanup_count Redis keys, deleted)"
