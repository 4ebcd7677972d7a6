/**
 * Start-up of the `wfstore` CLI (issue 15), measured as a user meets it: whole processes, each
 * command against a bare `node -e 0` started the same way in the same rounds. The targets are ratios
 * to that floor, so they hold on a busy machine where absolute times do not.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { TargetResult } from "./targets";

/** The id `--only` selects the start-up benchmark by. */
export const STARTUP_ID = "startup";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The built bin, as @store/cli's package.json names it (what `npx wfstore` runs). */
function cliBin(): string {
  const dir = path.join(repoRoot, "packages", "cli");
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as {
    bin: Record<string, string>;
  };
  const bin = path.join(dir, pkg.bin.wfstore as string);
  if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: build @store/cli first`);
  return bin;
}

interface Contender {
  id: string;
  label: string;
  argv: string[];
  env?: Record<string, string>;
}

export interface StartupResult {
  targets: TargetResult[];
  /** One line for the report's notes: method and median times. */
  note: string;
}

/** Stores with large schemas applied beside the measured one: a command must not pay for them. */
const OTHER_STORES = 20;
const ENUM_VALUES = 20_000;

export async function measureStartup(options: {
  quick: boolean;
  /** The size the report's target table is keyed by (the run's largest). */
  size: number;
  log: (line: string) => void;
}): Promise<StartupResult> {
  const { log } = options;
  const bin = cliBin();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "wfstore-bench-startup-"));
  try {
    const plain = path.join(root, "plain");
    const crowded = path.join(root, "crowded");
    const node = process.execPath;
    const run = (dataDir: string, args: string[]) => {
      const r = spawnSync(node, [bin, ...args], {
        cwd: root,
        env: { ...process.env, WFSTORE_DATA_DIR: dataDir },
        encoding: "utf8",
      });
      if (r.status !== 0) throw new Error(`wfstore ${args.join(" ")} failed: ${r.stderr}`);
    };
    // Both data directories hold the measured store on the local provider; one also holds stores
    // with large schemas (20 × an enum of 20,000 values), applied.
    const manifest = path.join(root, "large-schemas.yaml");
    fs.writeFileSync(
      manifest,
      Array.from(
        { length: OTHER_STORES },
        (_, i) =>
          `apiVersion: wfstore.dev/v1\nkind: WorkflowStore\nmetadata: {name: large-${i}}\nspec:\n  schema:\n    enum: [${Array.from({ length: ENUM_VALUES }, (_, v) => `"v${i}-${v}"`).join(", ")}]\n`,
      ).join("---\n"),
    );
    run(crowded, ["apply", "-f", manifest]);
    for (const dir of [plain, crowded]) run(dir, ["store", "put", "bench", "k", '{"n": 1}']);

    const contenders: Contender[] = [
      { id: "node", label: "node -e 0", argv: ["-e", "0"] },
      {
        id: "get",
        label: "wfstore store get",
        argv: [bin, "store", "get", "bench", "k"],
        env: { WFSTORE_DATA_DIR: plain },
      },
      {
        id: "put",
        label: "wfstore store put",
        argv: [bin, "store", "put", "bench", "k", '{"n": 2}'],
        env: { WFSTORE_DATA_DIR: plain },
      },
      { id: "help", label: "wfstore --help", argv: [bin, "--help"] },
      {
        id: "get-crowded",
        label: `wfstore store get, ${OTHER_STORES} stores with large schemas applied`,
        argv: [bin, "store", "get", "bench", "k"],
        env: { WFSTORE_DATA_DIR: crowded },
      },
    ];
    const rounds = options.quick ? 10 : 20;
    log("");
    log(`━━ CLI start-up: whole processes, ${rounds} interleaved rounds against node -e 0 ━━`);
    const time = (c: Contender): number => {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(node, c.argv, { cwd: root, env: { ...process.env, ...c.env }, stdio: "ignore" });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r.status !== 0) throw new Error(`${c.label} exited ${r.status}`);
      return ms;
    };
    for (let w = 0; w < 2; w++) for (const c of contenders) time(c); // warm the file cache
    const samples = new Map(contenders.map((c) => [c.id, [] as number[]]));
    for (let round = 0; round < rounds; round++) {
      // A different order each round, so no contender always runs after the same one.
      const order = contenders.map((_, i) => contenders[(i + round) % contenders.length] as Contender);
      for (const c of order) samples.get(c.id)?.push(time(c));
    }
    const ms = (id: string) => samples.get(id) as number[];
    const medians = Object.fromEntries(contenders.map((c) => [c.id, median(ms(c.id))]));
    for (const c of contenders)
      log(`  ${c.label.padEnd(64)} ${(medians[c.id] as number).toFixed(1).padStart(7)} ms`);

    /** Median over rounds of subject ÷ baseline, each pair measured in the same round. */
    const paired = (subject: string, baseline: string) =>
      median(ms(subject).map((t, i) => t / (ms(baseline)[i] as number)));
    const target = (id: string, text: string, measured: number, bound: number): TargetResult => ({
      id,
      issue: 15,
      text,
      size: options.size,
      status: measured <= bound ? "pass" : "fail",
      measured,
      bound,
      kind: "time",
      method: "paired",
    });
    const targets = [
      target(
        "cli-startup-get",
        "wfstore store get (local store) takes ≤ 1.5× node -e 0",
        paired("get", "node"),
        1.5,
      ),
      target(
        "cli-startup-put",
        "wfstore store put (local store) takes ≤ 1.5× node -e 0",
        paired("put", "node"),
        1.5,
      ),
      target("cli-startup-help", "wfstore --help takes ≤ 1.5× node -e 0", paired("help", "node"), 1.5),
      target(
        "cli-startup-crowded",
        `wfstore store get with ${OTHER_STORES} other stores of ${ENUM_VALUES.toLocaleString("en-US")}-value schemas applied takes ≤ 1.1× without them`,
        paired("get-crowded", "get"),
        1.1,
      ),
    ];
    const shown = contenders.map((c) => `${c.label} ${(medians[c.id] as number).toFixed(1)} ms`).join(", ");
    const note = `CLI start-up (issue 15): whole processes, \`node <@store/cli bin> …\` and a bare \`node -e 0\` spawned one after another with stdio ignored, ${rounds} rounds in a rotating order after 2 warm-up runs each; ratios are medians of per-round ratios. The store is on the local provider in its own data directory; the crowded directory also has ${OTHER_STORES} stores applied whose schemas are enums of ${ENUM_VALUES.toLocaleString("en-US")} values. Medians this run: ${shown}.`;
    return { targets, note };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}
