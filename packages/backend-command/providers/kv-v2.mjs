#!/usr/bin/env node
// Reference provider for @store/backend-command, protocol v2, persistent: entries are kept in memory
// and every write is appended to a journal (`wfstore-kv.jsonl` in $KV_DIR, default the working
// directory) before it is acknowledged. On start the journal is replayed and compacted. Several
// processes (one per host process) may share a directory: each request runs under a lock file and
// first applies what the others appended.
// Versions: every write of a key stores a larger version; `floor` (per project) is the highest version
// ever removed, so a re-created key never repeats one. Checking `if_version` / `if_absent` and writing
// happen under the lock, so they are one step.
import fs from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";

const file = path.resolve(process.env.KV_DIR ?? ".", "wfstore-kv.jsonl");
// "store\0project" -> { entries: Map(key -> entry), sorted: entry[] | undefined, floor }
const tables = new Map();

function table(store, project) {
  const id = `${store}\0${project}`;
  let t = tables.get(id);
  if (!t) {
    t = { store, project, entries: new Map(), sorted: undefined, floor: 0 };
    tables.set(id, t);
  }
  return t;
}

// List order: newest updated_at first, ties by key ascending (JavaScript string order).
const order = (a, b) =>
  a.updated_at !== b.updated_at
    ? a.updated_at > b.updated_at
      ? -1
      : 1
    : a.key < b.key
      ? -1
      : a.key > b.key
        ? 1
        : 0;
const sorted = (t) => (t.sorted ??= [...t.entries.values()].sort(order));
const expired = (e, notBefore) => notBefore !== undefined && e.updated_at < notBefore;

/** The first index whose entry satisfies `test`, for a test that is false then true along `all`. */
function search(all, test) {
  let lo = 0;
  let hi = all.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (test(all[mid])) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

// A change is {entry} (a write, its version already set) or {delete: key}; both may raise the floor.
function apply(t, change) {
  t.sorted = undefined;
  if (change.floor !== undefined) t.floor = Math.max(t.floor, change.floor);
  if (change.delete !== undefined) return t.entries.delete(change.delete);
  if (change.entry) t.entries.set(change.entry.key, change.entry);
}

// The journal is shared: several hosts may each run this provider on one directory. Every request
// runs under a lock file; it first applies what other processes appended since (or replays the whole
// journal when another process compacted it), then appends its own change.
const lockFile = `${file}.lock`;
const nap = new Int32Array(new SharedArrayBuffer(4));
let journal; // { fd, ino, offset }: our handle on the journal and how far we have applied it

function replay(text) {
  let end = 0;
  for (let at = 0, nl = text.indexOf("\n"); nl !== -1; at = nl + 1, nl = text.indexOf("\n", at)) {
    end = nl + 1;
    const line = text.slice(at, nl);
    if (!line) continue;
    let change;
    try {
      change = JSON.parse(line);
    } catch {
      continue; // a line cut short by a crash: its write was never acknowledged
    }
    apply(table(change.store, change.project), change);
  }
  return end; // bytes of complete lines: a partial last line is read again once it is complete
}

/** Brings memory up to date with the journal on disk. Runs under the lock. */
function catchUp() {
  let stat;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    if (error.code !== "ENOENT") throw error;
  }
  if (!journal || !stat || stat.ino !== journal.ino) {
    if (journal) fs.closeSync(journal.fd);
    tables.clear();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const fd = fs.openSync(file, "a+");
    journal = { fd, ino: fs.fstatSync(fd).ino, offset: 0 };
  }
  const size = fs.fstatSync(journal.fd).size;
  if (size > journal.offset) {
    const bytes = Buffer.alloc(size - journal.offset);
    fs.readSync(journal.fd, bytes, 0, bytes.length, journal.offset);
    journal.offset += replay(bytes.toString("utf8"));
    // A partial last line is a writer that died mid-write (never acknowledged): cut it, or the next
    // line appended would be glued to it and lost.
    if (journal.offset < size) fs.ftruncateSync(journal.fd, journal.offset);
  }
}

function locked(fn) {
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: "wx" });
      break;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
      breakIfAbandoned();
      Atomics.wait(nap, 0, 0, Math.min(20, 1 + attempt));
    }
  }
  try {
    catchUp();
    return fn();
  } finally {
    fs.rmSync(lockFile, { force: true });
  }
}

/** A lock whose holder died (killed mid-request) is removed. */
function breakIfAbandoned() {
  try {
    const pid = Number(fs.readFileSync(lockFile, "utf8"));
    if (pid > 0) process.kill(pid, 0);
  } catch (error) {
    if (error.code === "ESRCH") fs.rmSync(lockFile, { force: true });
  }
}

// Start: replay, then compact, so the journal holds one line per live entry (and per floor) again.
locked(() => {
  const compacted = [];
  for (const t of tables.values()) {
    const at = { store: t.store, project: t.project };
    if (t.floor > 0) compacted.push(JSON.stringify({ ...at, floor: t.floor }));
    for (const e of t.entries.values()) compacted.push(JSON.stringify({ ...at, entry: e }));
  }
  const text = compacted.length ? `${compacted.join("\n")}\n` : "";
  fs.writeFileSync(`${file}.tmp`, text);
  fs.renameSync(`${file}.tmp`, file);
  fs.closeSync(journal.fd);
  const fd = fs.openSync(file, "a+");
  journal = { fd, ino: fs.fstatSync(fd).ino, offset: Buffer.byteLength(text) };
});

function write(m, changes) {
  const t = table(m.store, m.project);
  if (changes.length === 0) return t;
  const text = changes
    .map((c) => `${JSON.stringify({ store: m.store, project: m.project, ...c })}\n`)
    .join("");
  const bytes = Buffer.from(text);
  try {
    // A short write (a full disk) is a failure: take the partial line back, acknowledge nothing.
    if (fs.writeSync(journal.fd, bytes) !== bytes.length)
      throw new Error("no space left on the device: the journal write was cut short");
  } catch (error) {
    fs.ftruncateSync(journal.fd, journal.offset);
    throw error;
  }
  journal.offset += bytes.length;
  for (const c of changes) apply(t, c);
  return t;
}

/** The entry as stored: its version is the next one (an import's version never goes backwards). */
function stored(t, e, old = t.entries.get(e.key)) {
  const version = old ? Math.max(old.version, e.version ?? 0) + 1 : Math.max(t.floor + 1, e.version ?? 0);
  return { ...e, created_at: e.created_at ?? old?.created_at ?? e.updated_at, version };
}

/** A failed if_absent / if_version: the reply, naming the live entry's version. */
function conflict(m, key) {
  const e = table(m.store, m.project).entries.get(key);
  const live = e && !expired(e, m.not_before) ? e : undefined;
  const failed = (m.if_absent && live) || (m.if_version !== undefined && live?.version !== m.if_version);
  return failed ? { error: { code: "CONFLICT", current_version: live?.version ?? null } } : undefined;
}

const ops = {
  hello: () => ({
    ok: true,
    protocol: 2,
    capabilities: { cursor: true, put_many: true, conditional_writes: true },
  }),
  get(m) {
    const e = table(m.store, m.project).entries.get(m.key);
    return { ok: true, entry: e && !expired(e, m.not_before) ? e : null };
  },
  put(m) {
    const refused = conflict(m, m.entry.key);
    if (refused) return refused;
    const entry = stored(table(m.store, m.project), m.entry);
    write(m, [{ entry }]);
    return { ok: true, version: entry.version };
  },
  put_many(m) {
    const t = table(m.store, m.project);
    const batch = new Map(); // later repeats of a key build on the version written before them
    for (const e of m.entries) batch.set(e.key, stored(t, e, batch.get(e.key) ?? t.entries.get(e.key)));
    write(
      m,
      [...batch.values()].map((entry) => ({ entry })),
    );
    return { ok: true };
  },
  delete(m) {
    const refused = conflict(m, m.key);
    if (refused) return refused;
    const e = table(m.store, m.project).entries.get(m.key);
    write(m, e ? [{ delete: m.key, floor: e.version }] : []);
    return { ok: true, existed: e !== undefined && !expired(e, m.not_before) };
  },
  list(m) {
    const all = sorted(table(m.store, m.project));
    // Both bounds by binary search: entries after the cursor start at `from`; expired ones (the
    // oldest) form the tail from `to`.
    const from = m.after ? search(all, (e) => order(e, m.after) > 0) : 0;
    const to = m.not_before === undefined ? all.length : search(all, (e) => expired(e, m.not_before));
    const start = Math.min(from + m.offset, to);
    return { ok: true, entries: all.slice(start, Math.min(start + m.limit, to)) };
  },
  prune(m) {
    const doomed = sorted(table(m.store, m.project)).filter(
      (e, i) =>
        (m.max_entries !== undefined && i >= m.max_entries) ||
        (m.older_than !== undefined && e.updated_at < m.older_than),
    );
    write(
      m,
      doomed.map((e) => ({ delete: e.key, floor: e.version })),
    );
    return { ok: true, removed: doomed.length };
  },
};

// Replies to the requests of one input chunk leave in one write.
let out = [];
const flush = () => {
  process.stdout.write(out.join(""));
  out = [];
};
createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (line) => {
  let m;
  let reply;
  try {
    m = JSON.parse(line);
    const op = ops[m.op];
    reply = op
      ? { id: m.id, ...(m.op === "hello" ? op(m) : locked(() => op(m))) }
      : { id: m.id, error: { code: "UNSUPPORTED", message: `unknown op "${m.op}"` } };
  } catch (error) {
    reply = { id: m?.id ?? null, error: { message: String(error?.message ?? error) } };
  }
  if (out.length === 0) queueMicrotask(flush);
  out.push(`${JSON.stringify(reply)}\n`);
});
