import type { Subprocess } from "execa";
import { onExit } from "signal-exit";

/**
 * Every command (v1) and provider process (v2) leads its own process group, so that a timeout or the
 * end of the host takes its children with it. A process that calls `setsid` leaves the group, and is
 * its provider's business.
 */
const live = new Set<number>();
let hooked = false;

/** SIGKILL to the whole group led by `pid`; nothing when it is already gone. */
export function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/**
 * Makes `subprocess` a group this host answers for: execa's own kills (its timeout) reach the whole
 * group, and the group is killed when the host exits or dies of SIGINT, SIGTERM or SIGHUP. execa's
 * `cleanup` cannot do that: it skips detached subprocesses, and would kill the leader only.
 * signal-exit (what execa uses) runs the hook, then lets the signal end the host as it would have.
 */
export function adoptGroup(subprocess: Subprocess): void {
  const pid = subprocess.pid;
  if (pid === undefined) return; // it never started
  live.add(pid);
  if (!hooked) {
    hooked = true;
    onExit(() => {
      for (const group of live) killGroup(group);
    });
  }
  const kill = subprocess.kill.bind(subprocess) as (...args: unknown[]) => boolean;
  subprocess.kill = ((...args: unknown[]) => {
    killGroup(pid);
    return kill(...args);
  }) as Subprocess["kill"];
}

/** The group's leader has been waited for: kill whatever it left behind, and forget it. */
export function endGroup(subprocess: Subprocess): void {
  const pid = subprocess.pid;
  if (pid === undefined || !live.delete(pid)) return;
  killGroup(pid);
}
