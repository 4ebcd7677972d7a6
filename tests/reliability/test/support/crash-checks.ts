import type { StoreEntry } from "@store/core";
import { crashDefect, importValue } from "../fixtures/values.mjs";

/**
 * What must hold after a child was killed, one check per kind of work. Each returns the problems
 * found (empty when all is well), so a round reports everything wrong with it at once.
 */
const ackPattern = /^ack (\S+) (\d+)$/;

/** `ack <key> <i>` lines: the key and put number of every acknowledged write, in order. */
export function acknowledged(lines: string[]): Array<{ key: string; i: number }> {
  const out: Array<{ key: string; i: number }> = [];
  for (const line of lines) {
    const m = ackPattern.exec(line);
    if (m) out.push({ key: m[1] as string, i: Number(m[2]) });
  }
  return out;
}

/**
 * Puts: `model` is what the store held before the round (key → put number, each value
 * `crashValue(round of the key, i)`); now it must hold that plus every acknowledged put, exactly with
 * its task id, plus possibly the put that was in flight, whole. Nothing else: a temp file is no entry.
 */
export function putRoundProblems(options: {
  round: number;
  keySpace: number;
  model: Map<string, number>;
  lines: string[];
  found: Map<string, StoreEntry>;
}): string[] {
  const { round, keySpace, model, lines, found } = options;
  const acks = acknowledged(lines);
  const acked = new Map(acks.map((a) => [a.key, a.i]));
  const next = (acks.at(-1)?.i ?? -1) + 1;
  const inFlight = { key: `c${round}-${next % keySpace}`, i: next };
  const expected = new Map([...model, ...acked]);
  const landed = found.get(inFlight.key)?.value as { round?: number; i?: number } | undefined;
  if (landed?.round === round && landed.i === inFlight.i) expected.set(inFlight.key, inFlight.i);
  const problems: string[] = [];
  for (const [key, i] of expected) {
    const entry = found.get(key);
    if (!entry) {
      problems.push(`${key}: put ${i} is missing`);
      continue;
    }
    const defect = crashDefect(entry.value, Number(key.slice(1).split("-")[0]), i);
    if (defect) problems.push(`${key}: ${defect}`);
    if (acked.get(key) === i && entry.taskId !== `r${round}`)
      problems.push(`${key}: task id ${entry.taskId}`);
  }
  for (const key of found.keys()) if (!expected.has(key)) problems.push(`${key}: never written`);
  return problems;
}

/**
 * Imports: entries of earlier rounds unchanged; every entry of an acknowledged batch exact (value,
 * timestamps, task id, a version at least the imported one); entries of the interrupted batch absent
 * or whole. `recoversFromFiles`: such an entry may have only its value and updated_at (the file
 * backend rebuilds it from its file).
 */
export function importRoundProblems(options: {
  round: number;
  start: number;
  model: Map<string, StoreEntry>;
  lines: string[];
  found: Map<string, StoreEntry>;
  recoversFromFiles: boolean;
}): string[] {
  const { round, start, model, lines, found, recoversFromFiles } = options;
  const acked = Math.max(0, ...lines.map((l) => (l.startsWith("ack ") ? Number(l.slice(4)) : 0)));
  const problems: string[] = [];
  const check = (key: string, n: number) => {
    const entry = found.get(key);
    const required = n < acked;
    if (!entry) {
      if (required) problems.push(`${key}: acknowledged import entry is missing`);
      return;
    }
    const at = start + n * 1000;
    const full = required || !recoversFromFiles;
    const want = {
      value: importValue(round, n),
      updatedAt: new Date(at).toISOString(),
      ...(full ? { createdAt: new Date(at - 86_400_000).toISOString(), taskId: `imp${round}` } : {}),
    };
    const got = {
      value: entry.value,
      updatedAt: entry.updatedAt,
      ...(full ? { createdAt: entry.createdAt, taskId: entry.taskId } : {}),
    };
    if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`${key}: not what was imported`);
    if (full && entry.version < n + 1) problems.push(`${key}: version ${entry.version} below ${n + 1}`);
  };
  for (const [key, entry] of found) {
    const m = /^i(\d+)-(\d+)$/.exec(key);
    if (!m) problems.push(`${key}: never imported`);
    else if (Number(m[1]) !== round) {
      if (JSON.stringify(model.get(key)) !== JSON.stringify(entry))
        problems.push(`${key}: changed since round ${m[1]}`);
    } else if (Number(m[2]) >= acked) check(key, Number(m[2]));
  }
  for (let n = 0; n < acked; n++) check(`i${round}-${n}`, n);
  for (const key of model.keys()) if (!found.has(key)) problems.push(`${key}: lost since an earlier round`);
  return problems;
}

/**
 * Prunes keep the newest `keep` entries. Across rounds it tracks every acknowledged key (oldest
 * first: the child's clock follows write order) and how much may have been written since the last
 * acknowledged prune.
 */
export class PruneRounds {
  private readonly acked: string[] = [];
  private sincePrune = 0;
  private killsSincePrune = 0;

  constructor(
    private readonly keep: number,
    private readonly perRound: number,
  ) {}

  problems(lines: string[], found: Map<string, StoreEntry>): string[] {
    for (const line of lines) {
      if (line.startsWith("ack ")) {
        this.acked.push(line.split(" ")[1] as string);
        this.sincePrune++;
      } else if (line.startsWith("pruned ")) {
        this.sincePrune = 0;
        this.killsSincePrune = 0;
      }
    }
    this.killsSincePrune++; // each kill may leave one unacknowledged put that landed
    const problems: string[] = [];
    // Prune removes the oldest first: the acknowledged entries still there are the newest ones,
    // without a hole, and at least `keep` entries are left.
    const oldest = this.acked.findIndex((key) => found.has(key));
    if (oldest >= 0) {
      for (const key of this.acked.slice(oldest)) {
        if (!found.has(key)) problems.push(`${key}: newer than a kept entry, missing`);
      }
    }
    if (found.size < Math.min(this.keep, this.acked.length)) problems.push(`only ${found.size} entries left`);
    for (const [key, entry] of found) {
      const m = /^p(\d+)-(\d+)-(\d+)$/.exec(key);
      const defect = m
        ? crashDefect(entry.value, Number(m[1]), Number(m[2]) * this.perRound + Number(m[3]))
        : "never written";
      if (defect) problems.push(`${key}: ${defect}`);
    }
    // At most what the last prune kept, what was acknowledged since, and the puts in flight.
    if (found.size > this.keep + this.sincePrune + this.killsSincePrune) {
      problems.push(`${found.size} entries: a prune was lost`);
    }
    return problems;
  }
}
