import { CommanderError } from "commander";
import { version } from "../package.json";
import { CliError, EXIT, exitCodeFor, formatError } from "./errors";
import { BrokenPipe, type CliIo, errorGuard, resolveIo } from "./io";
import { buildProgram, type ProgramState } from "./program";

export { CliError, type CliErrorCode, EXIT, errorCode, exitCodeFor, formatError } from "./errors";
export type { CliIo, OutputStream } from "./io";

/** The version of this CLI (from its package.json). */
export const VERSION: string = version;

/**
 * Runs `wfstore` with `argv` (the arguments after the program name) and resolves its exit code. It
 * never throws and never calls `process.exit`: errors are printed on `io.stderr` as
 * `wfstore: error CODE: message`. The bin is `process.exitCode = await run(process.argv.slice(2))`.
 *
 *   await run(["store", "get", "metrics", "last-run"], { cwd, env: { WFSTORE_DATA_DIR: dir } })
 */
export async function run(argv: readonly string[], cliIo: CliIo = {}): Promise<number> {
  const io = resolveIo(cliIo);
  errorGuard(io.stdout);
  const state: ProgramState = { exitCode: EXIT.OK };
  const program = buildProgram(io, state, VERSION);
  state.current = program;
  let code: number;
  try {
    await program.parseAsync([...argv], { from: "user" });
    code = state.exitCode;
  } catch (error) {
    code = report(error, io.stderr, state, argv);
  }
  try {
    await state.context?.close();
  } catch (error) {
    if (code === EXIT.OK) code = report(error, io.stderr, state, argv);
  }
  return code;
}

function report(
  error: unknown,
  stderr: { write(s: string): unknown },
  state: ProgramState,
  argv: readonly string[],
): number {
  if (error instanceof BrokenPipe) return EXIT.OK; // the reader went away (`| head`): not our failure
  if (error instanceof CommanderError) {
    // --help and --version end with a CommanderError too.
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return EXIT.OK;
    // A command group without its subcommand: commander printed its help on stderr.
    if (error.code === "commander.help") return EXIT.INVALID_INPUT;
    error = usageError(error, state);
  }
  const verbose = state.context?.verbose ?? argv.some((a) => a === "-v" || a === "--verbose");
  for (const line of formatError(error, verbose)) stderr.write(`${line}\n`);
  return exitCodeFor(error);
}

/** Commander's "error: unknown command 'stor'\n(Did you mean store?)" as one CLI error line. */
function usageError(error: CommanderError, state: ProgramState): CliError {
  const [first = "", ...rest] = error.message.split("\n");
  let message = first.replace(/^error: /, "");
  const hint = rest.join(" ").trim();
  if (hint) message += ` ${hint.replace(/^\(Did you mean/, "(did you mean")}`;
  const path = commandPath(state.current);
  message += ` (see \`${path} --help\`)`;
  return new CliError("USAGE", message);
}

function commandPath(cmd: ProgramState["current"]): string {
  const names: string[] = [];
  for (let c = cmd; c; c = c.parent ?? undefined) names.unshift(c.name());
  return names.join(" ") || "wfstore";
}
