#!/usr/bin/env node
// A complete protocol-v2 provider for @store/backend-command. It keeps entries in memory while it runs.
import { createInterface } from "node:readline";

const tables = new Map(); // "store\0project" -> Map(key -> entry)
const table = ({ store, project }, id = `${store}\0${project}`) =>
  tables.get(id) ?? tables.set(id, new Map()).get(id);
const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
// List order: newest updated_at first, then key ascending (JavaScript string order).
const order = (a, b) => cmp(b.updated_at, a.updated_at) || cmp(a.key, b.key);
const sorted = (m) => [...table(m).values()].sort(order);
const live = (m, e) => !(m.not_before && e.updated_at < m.not_before);
function put(m, e) {
  const created = e.created_at ?? table(m).get(e.key)?.created_at ?? e.updated_at;
  table(m).set(e.key, { ...e, created_at: created });
}

const ops = {
  hello: () => ({ protocol: 2, capabilities: { cursor: true, not_before: true, put_many: true } }),
  get(m) {
    const e = table(m).get(m.key);
    return { entry: e && live(m, e) ? e : null };
  },
  put: (m) => put(m, m.entry),
  put_many: (m) => void m.entries.map((e) => put(m, e)),
  delete: (m) => ({ existed: table(m).delete(m.key) }),
  list(m) {
    const rest = sorted(m).filter((e) => live(m, e) && (!m.after || order(e, m.after) > 0));
    return { entries: rest.slice(m.offset, m.offset + m.limit) };
  },
  prune(m) {
    const old = (e, i) => i >= (m.max_entries ?? Infinity) || e.updated_at < (m.older_than ?? "");
    const doomed = sorted(m).filter(old);
    for (const e of doomed) table(m).delete(e.key);
    return { removed: doomed.length };
  },
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
