import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { tempDir } from "./targets";

/**
 * What this machine lets the suite do, found out at run time: fault tests use the best tool available
 * and say in their name (or skip reason) what was not possible.
 */
function run(cmd: string, args: string[]): string | undefined {
  try {
    execFileSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
    return undefined;
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? "").trim();
    return `${cmd} ${args.join(" ")}: ${stderr || (error as Error).message}`;
  }
}

function probe(attempt: (dir: string) => string | undefined): string | undefined {
  const dir = tempDir("probe");
  try {
    return attempt(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** RELIABILITY_NO_MOUNT=1 runs the fallbacks (file-size limit, chattr) where mounting works. */
const noMount =
  process.env.RELIABILITY_NO_MOUNT === "1" ? "mounting disabled by RELIABILITY_NO_MOUNT=1" : undefined;

/** Why a small tmpfs cannot be mounted here, or undefined when it can (root, mount allowed). */
export const tmpfsUnavailable: string | undefined =
  noMount ??
  probe((dir) => {
    const failed = run("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir]);
    if (failed) return failed;
    return run("umount", [dir]);
  });

/** Why a directory cannot be made read-only by a bind mount, or undefined. */
export const bindReadOnlyUnavailable: string | undefined =
  noMount ??
  probe((dir) => {
    const failed = makeReadOnlyByBind(dir);
    if (failed) return failed;
    const writable = (() => {
      try {
        fs.writeFileSync(`${dir}/x`, "");
        return true;
      } catch {
        return false;
      }
    })();
    run("umount", [dir]);
    return writable ? "a read-only bind mount still accepted a write" : undefined;
  });

/** Why `chattr +i` does not make a directory unwritable for root here, or undefined. */
export const chattrUnavailable: string | undefined = probe((dir) => {
  const failed = run("chattr", ["+i", dir]);
  if (failed) return failed;
  let writable = true;
  try {
    fs.writeFileSync(`${dir}/x`, "");
  } catch {
    writable = false;
  }
  run("chattr", ["-i", dir]);
  return writable ? "chattr +i did not stop a write" : undefined;
});

export function mountTmpfs(dir: string, bytes: number): void {
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${bytes}`, "tmpfs", dir]);
}

export function resizeTmpfs(dir: string, bytes: number): void {
  execFileSync("mount", ["-o", `remount,size=${bytes}`, dir]);
}

export function makeReadOnlyByBind(dir: string): string | undefined {
  return run("mount", ["--bind", dir, dir]) ?? run("mount", ["-o", "remount,ro,bind", dir]);
}

export function unmount(dir: string): void {
  run("umount", [dir]);
}

/** `chattr +i` (or `-i`) on a directory and everything below it. */
export function setImmutable(dir: string, on: boolean): void {
  const all = [dir];
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isDirectory() || e.isFile()) all.push(`${e.parentPath}/${e.name}`);
  }
  for (const p of all) run("chattr", [on ? "+i" : "-i", p]);
}
