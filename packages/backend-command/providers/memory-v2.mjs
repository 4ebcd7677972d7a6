#!/usr/bin/env node
// A complete protocol-v2 provider for @store/backend-command. It keeps entries in memory while it runs.
import { createInterface } from "node:readline";

const tables = new Map(); // "store\0project" -> { entries: Map(key -> entry), floor }
const table = ({ store, project }, id = `${store}\0${project}`) =>
  tables.get(id) ?? tables.set(id, { entries: new Map(), floor: 0 }).get(id);
const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
// List order: newest updated_at first, then key ascending (JavaScript string order).
const order = (a, b) => cmp(b.updated_at, a.updated_at) || cmp(a.key, b.key);
const sorted = (m) => [...table(m).entries.values()].sort(order);
const live = (m, e) => (e && !(m.not_before && e.updated_at < m.not_before) ? e : undefined);
const visible = (m) => sorted(m).filter((e) => live(m, e) && (!m.after || order(e, m.after) > 0));
const doomed = (m) =>
  sorted(m).filter((e, i) => i >= (m.max_entries ?? Infinity) || e.updated_at < m.older_than);
// Each write takes a larger version; `floor`, the highest removed, keeps a re-created key from reusing one.
function put(m, e, t = table(m), was = t.entries.get(e.key)) {
  const version = was ? Math.max(was.version, e.version ?? 0) + 1 : Math.max(t.floor + 1, e.version ?? 0);
  t.entries.set(e.key, { ...e, created_at: e.created_at ?? was?.created_at ?? e.updated_at, version });
  return { version };
}
function remove(m, e, t = table(m)) {
  t.floor = Math.max(t.floor, e.version);
  return t.entries.delete(e.key) && !!live(m, e); // whether a live entry existed
}
// if_absent / if_version, checked against the live entry in the same step as the write.
function conflict(m, e = live(m, table(m).entries.get(m.key ?? m.entry.key))) {
  const failed = (m.if_absent && e) || (m.if_version !== undefined && e?.version !== m.if_version);
  return failed && { ok: false, error: { code: "CONFLICT", current_version: e?.version ?? null } };
}
const ops = {
  hello: () => ({ protocol: 2, capabilities: { cursor: true, put_many: true, conditional_writes: true } }),
  get: (m) => ({ entry: live(m, table(m).entries.get(m.key)) ?? null }),
  put: (m) => conflict(m) || put(m, m.entry),
  put_many: (m) => void m.entries.map((e) => put(m, e)),
  delete: (m, e = table(m).entries.get(m.key)) => conflict(m) || { existed: !!e && remove(m, e) },
  list: (m) => ({ entries: visible(m).slice(m.offset, m.offset + m.limit) }),
  prune: (m) => ({ removed: doomed(m).map((e) => remove(m, e)).length }),
};
// One JSON request per line in, one JSON reply per line out, with the request's id. Logs go to stderr.
createInterface({ input: process.stdin }).on("line", (line) => {
  const m = JSON.parse(line);
  let reply = { id: m.id, error: { code: "UNSUPPORTED", message: `unknown op ${m.op}` } };
  try {
    if (ops[m.op]) reply = { id: m.id, ok: true, ...ops[m.op](m) };
  } catch (error) {
    reply = { id: m.id, error: { message: String(error) } };
  }
  process.stdout.write(`${JSON.stringify(reply)}\n`);
});
