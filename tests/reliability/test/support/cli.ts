import { spawn } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const pkgFile = require.resolve("@store/cli/package.json");
const pkg = JSON.parse(fs.readFileSync(pkgFile, "utf8")) as { bin: Record<string, string> };

/** The built `wfstore`, as @store/cli's package.json names it. */
export const WFSTORE = path.resolve(path.dirname(pkgFile), pkg.bin.wfstore as string);

export function assertCliBuilt(): void {
  if (!fs.existsSync(WFSTORE)) throw new Error(`${WFSTORE} is missing: build first (pnpm build)`);
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `sh -c <script>` where `"$NODE" "$WFSTORE"` is the CLI (so a case can hand it bytes no JS
 * string holds: `"$NODE" "$WFSTORE" store put s "$(printf 'k\\377')"`), with `input` on stdin.
 */
export function wfstore(
  script: string,
  options: { env?: Record<string, string>; input?: string | Buffer; cwd?: string } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", script], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", NODE: process.execPath, WFSTORE, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.stdin.on("error", () => {}); // a CLI that refuses early closes its stdin
    child.stdin.end(options.input ?? "");
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
