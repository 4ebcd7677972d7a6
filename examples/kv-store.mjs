#!/usr/bin/env node
// An example command provider (protocol v1): `node kv-store.mjs get|put|delete|list|prune`.
// wfstore runs it once per op with the op's inputs in the environment (STORE_NAME, PROJECT_ID, KEY,
// TASK_ID, UPDATED_AT, LIMIT, OFFSET, MAX_ENTRIES, OLDER_THAN) and the value of a put on stdin.
// It keeps one JSON file per store and project under $KV_STORE_DIR (default: <tmp>/wfstore-kv-example).
// Exit 0 is success; anything else is a failure whose stderr wfstore reports.
//
// An example, not a database: one op at a time (no locking between concurrent ops).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const env = process.env;
const op = process.argv[2];
const root = env.KV_STORE_DIR || path.join(os.tmpdir(), "wfstore-kv-example");
const file = path.join(root, env.STORE_NAME ?? "", `${env.PROJECT_ID || "_default"}.json`);

function load() {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    if (error.code === "ENOENT") return {};
    throw error;
  }
}

function save(entries) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(entries));
  fs.renameSync(tmp, file); // atomic: a reader never sees half a file
}

/** Newest first, ties by key: the order wfstore expects from list. */
function sorted(entries) {
  return Object.entries(entries)
    .map(([key, e]) => ({ key, ...e }))
    .sort((a, b) =>
      a.updated_at === b.updated_at ? (a.key < b.key ? -1 : 1) : a.updated_at < b.updated_at ? 1 : -1,
    );
}

const now = () => new Date().toISOString();

switch (op) {
  case "get": {
    const e = load()[env.KEY];
    // Absent: print nothing. Present: a metadata line, then the value (protocol extension).
    if (e)
      process.stdout.write(
        `${JSON.stringify({ updated_at: e.updated_at, created_at: e.created_at, task_id: e.task_id })}\n${JSON.stringify(e.value)}\n`,
      );
    break;
  }
  case "put": {
    const value = JSON.parse(fs.readFileSync(0, "utf8") || env.VALUE);
    const entries = load();
    const updatedAt = env.UPDATED_AT || now();
    entries[env.KEY] = {
      value,
      updated_at: updatedAt,
      created_at: env.CREATED_AT || entries[env.KEY]?.created_at || updatedAt,
      task_id: env.TASK_ID ?? "",
    };
    save(entries);
    break;
  }
  case "delete": {
    const entries = load();
    const existed = env.KEY in entries;
    if (existed) {
      delete entries[env.KEY];
      save(entries);
    }
    process.stdout.write(JSON.stringify({ existed }));
    break;
  }
  case "list": {
    const offset = Number(env.OFFSET || 0);
    const limit = Number(env.LIMIT || 100);
    const page = sorted(load())
      .filter((e) => !env.NOT_BEFORE || e.updated_at >= env.NOT_BEFORE)
      .slice(offset, offset + limit);
    process.stdout.write(JSON.stringify(page));
    break;
  }
  case "prune": {
    const entries = load();
    let removed = 0;
    sorted(entries).forEach((e, i) => {
      const beyond = env.MAX_ENTRIES !== undefined && i >= Number(env.MAX_ENTRIES);
      const old = env.OLDER_THAN !== undefined && e.updated_at < env.OLDER_THAN;
      if (beyond || old) {
        delete entries[e.key];
        removed++;
      }
    });
    if (removed > 0) save(entries);
    process.stdout.write(JSON.stringify({ removed }));
    break;
  }
  default:
    process.stderr.write(
      `kv-store.mjs: unknown op ${JSON.stringify(op)}; expected get, put, delete, list or prune\n`,
    );
    process.exit(64);
}
