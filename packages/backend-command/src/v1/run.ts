import { execaFunction } from "../execa";
import { adoptGroup, endGroup } from "../groups";
import type { Invocation } from "../options";
import { Tail } from "../tail";

export interface RunRequest {
  invocation: Invocation;
  cwd: string;
  env: Record<string, string>;
  /** Written to stdin, which is then closed. Without it stdin is /dev/null. */
  input?: string;
  timeoutMs: number;
  maxStdout: number;
}

export type RunResult =
  | {
      kind: "exit";
      /** Undefined when a signal ended the command. */
      code: number | undefined;
      signal: string | undefined;
      stdout: Buffer;
      stderr: string;
      /** False when the command ended without reading all of its stdin. */
      inputConsumed: boolean;
    }
  | { kind: "timeout"; stderr: string }
  | { kind: "overflow"; stderr: string }
  | { kind: "spawn-error"; code: string | undefined; message: string };

/**
 * Runs one command through execa: its own process group (execa's timeout kills the whole group),
 * only the environment given, stdout collected up to `maxStdout` (execa's maxBuffer), stderr drained
 * with only its tail kept. What is left of the group when the command exits is killed too.
 */
export async function runCommand(request: RunRequest): Promise<RunResult> {
  const execa = await execaFunction();
  const { invocation, input } = request;
  const subprocess = execa(invocation.file, invocation.args, {
    cwd: request.cwd,
    env: request.env,
    extendEnv: false,
    detached: true,
    stdin: input === undefined ? "ignore" : "pipe",
    encoding: "buffer",
    buffer: { stdout: true, stderr: false },
    maxBuffer: { stdout: request.maxStdout },
    stripFinalNewline: false,
    timeout: request.timeoutMs,
    killSignal: "SIGKILL",
    reject: false,
  });
  adoptGroup(subprocess);
  const stderr = new Tail();
  subprocess.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
  let inputConsumed = input === undefined;
  if (input !== undefined && subprocess.stdin) {
    // A provider that takes the value from $VALUE never reads stdin: EPIPE is expected then.
    subprocess.stdin.on("error", () => {});
    subprocess.stdin.on("finish", () => {
      inputConsumed = true;
    });
    subprocess.stdin.end(input);
  }
  const result = await subprocess;
  endGroup(subprocess);
  if (result.timedOut) return { kind: "timeout", stderr: stderr.toString() };
  if (result.isMaxBuffer) return { kind: "overflow", stderr: stderr.toString() };
  if (result.exitCode === undefined && result.signal === undefined) {
    const cause = (result as { cause?: { code?: string; message?: string } }).cause;
    return {
      kind: "spawn-error",
      code: cause?.code ?? result.code,
      message: cause?.message ?? result.message ?? "",
    };
  }
  const out = result.stdout as unknown as Uint8Array;
  return {
    kind: "exit",
    code: result.exitCode,
    signal: result.signal,
    stdout: Buffer.from(out.buffer, out.byteOffset, out.byteLength),
    stderr: stderr.toString(),
    inputConsumed,
  };
}
