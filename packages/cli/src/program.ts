import { Command, Option } from "commander";
import { migrationsPrint } from "./commands/migrations";
import { apply, get, remove, validate } from "./commands/resources";
import {
  type PutOptions,
  storeDelete,
  storeExport,
  storeGet,
  storeImport,
  storeList,
  storePrune,
  storePut,
} from "./commands/store";
import { Context, type GlobalOptions } from "./context";
import type { ResolvedIo } from "./io";

export interface ProgramState {
  /** The exit code an action asked for (store get of an absent key); otherwise 0. */
  exitCode: number;
  /** The context of the command that ran, closed by `run` whatever happens. */
  context?: Context;
  /** The command being parsed, for "see `wfstore … --help`" hints on usage errors. */
  current?: Command;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Examples shown at the end of each command's --help. */
function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`;
}

/**
 * The `wfstore` command tree. A fresh program per `run`: commander keeps parsed option values on the
 * command objects, so reusing one would leak options from one call into the next.
 */
export function buildProgram(io: ResolvedIo, state: ProgramState, version: string): Command {
  const program = new Command("wfstore");
  program
    .description(
      "Persistent cross-task memory for agent and workflow orchestrators: declare stores with manifests, read and write their JSON entries, move them between providers.",
    )
    .version(version, "-V, --version", "print the version")
    .addOption(new Option("--data-dir <dir>", "data directory (default: $WFSTORE_DATA_DIR, else ./.wfstore)"))
    .addOption(
      new Option(
        "-f, --filename <path>",
        "manifest file or directory; repeatable; layered over the applied resources",
      ).argParser(collect),
    )
    .option("--project <id>", 'project id (default: the default project "")')
    .option("--json", "machine-readable JSON output")
    .option("-v, --verbose", "on errors, also print the cause chain")
    .helpOption("-h, --help", "show help")
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // Usage errors are printed by `run`, in the CLI's one-line format.
      outputError: () => {},
    })
    .exitOverride()
    .hook("preSubcommand", (_cmd, sub) => {
      state.current = sub;
    })
    .addHelpText(
      "after",
      examples(
        "wfstore apply -f examples/",
        "wfstore store put metrics last-run '{\"test_count\": 42}' --task bench-1",
        "wfstore store get metrics last-run",
        "wfstore store list metrics --json",
        "wfstore store export metrics > metrics.ndjson",
      ) +
        "\nExit codes: 0 ok, 1 store get of an absent key, 2 invalid input, 3 backend or provider failure,\n4 a condition (--if-version, --if-absent) did not hold.\nDocs: the README of @store/cli.\n",
    );

  const context = (cmd: Command): Context => {
    const ctx = new Context(io, cmd.optsWithGlobals<GlobalOptions>());
    state.context = ctx;
    return ctx;
  };

  program
    .command("apply")
    .description("validate manifests and save them in the data directory (re-apply replaces)")
    .addHelpText(
      "after",
      examples("wfstore apply -f stores.yaml", "wfstore apply -f manifests/ -f providers.yaml"),
    )
    .action((_opts, cmd: Command) => apply(context(cmd)));

  program
    .command("validate")
    .description("check manifests exactly as apply does, saving nothing")
    .addHelpText(
      "after",
      examples("wfstore validate -f manifests/", "wfstore validate -f stores.yaml --json"),
    )
    .action((_opts, cmd: Command) => validate(context(cmd)));

  program
    .command("get")
    .description("list store definitions, or show one (also: storebackendproviders)")
    .argument("<type>", "workflowstores (ws) or storebackendproviders (sbp)")
    .argument("[name]", "show this one, as YAML (or JSON with --json)")
    .addHelpText(
      "after",
      examples(
        "wfstore get workflowstores",
        "wfstore get workflowstore metrics",
        "wfstore get storebackendproviders --json",
      ),
    )
    .action((type: string, name: string | undefined, _opts, cmd: Command) => get(context(cmd), type, name));

  program
    .command("delete")
    .description("remove an applied definition (a store's entries stay)")
    .argument("<type>", "workflowstore (ws) or storebackendprovider (sbp)")
    .argument("<name>")
    .addHelpText(
      "after",
      examples("wfstore delete workflowstore metrics", "wfstore delete ws metrics --project my-project"),
    )
    .action((type: string, name: string, _opts, cmd: Command) => remove(context(cmd), type, name));

  const store = program
    .command("store")
    .description("read and write the entries of a store")
    .hook("preSubcommand", (_cmd, sub) => {
      state.current = sub;
    })
    .addHelpText(
      "after",
      examples("wfstore store put notes greeting '\"hello\"'", "wfstore store get notes greeting"),
    );

  store
    .command("get")
    .description("print the value as one line of JSON (exit 1, nothing printed, when the key is absent)")
    .argument("<store>", "store name")
    .argument("<key>", "entry key")
    .option("--entry", "print the whole entry {key, value, version, updated_at, created_at, task_id}")
    .addOption(keyJsonOption())
    .addHelpText(
      "after",
      examples(
        "wfstore store get metrics last-run",
        "wfstore store get metrics last-run --json       # {value, version, updated_at, task_id}",
        "wfstore store get metrics last-run || echo absent",
      ),
    )
    .action(async (name: string, key: string, opts: { entry?: boolean; keyJson?: boolean }, cmd: Command) => {
      state.exitCode = await storeGet(context(cmd), name, key, opts);
    });

  store
    .command("put")
    .description("write a JSON value: from the argument, or from stdin when it is absent or '-'")
    .argument("<store>", "store name")
    .argument("<key>", "entry key")
    .argument("[json]", "the value as JSON; '-' or absent reads stdin")
    .option("--task <id>", "the task writing it (kept as task_id)")
    .option("--if-version <n>", "write only if the stored version is N (else exit 4, nothing written)")
    .option("--if-absent", "write only if the key is absent (else exit 4, nothing written)")
    .addOption(keyJsonOption())
    .addHelpText(
      "after",
      examples(
        "wfstore store put metrics last-run '{\"test_count\": 42}' --task bench-1",
        "echo '{\"test_count\": 42}' | wfstore store put metrics last-run",
        "wfstore store put metrics big - < value.json",
        "wfstore store put counters offset -- -5        # '--' before a negative number",
        "wfstore store put plans next '\"v2\"' --if-version 3   # exit 4 if another writer got there first",
        "wfstore store put locks deploy '\"me\"' --if-absent",
      ),
    )
    .action((name: string, key: string, json: string | undefined, opts: PutOptions, cmd: Command) =>
      storePut(context(cmd), name, key, json, opts),
    );

  store
    .command("delete")
    .description("remove a key (idempotent: says whether it existed)")
    .argument("<store>", "store name")
    .argument("<key>", "entry key")
    .option("--if-version <n>", "delete only if the stored version is N (else exit 4, nothing deleted)")
    .addOption(keyJsonOption())
    .addHelpText(
      "after",
      examples("wfstore store delete metrics last-run", "wfstore store delete locks deploy --if-version 1"),
    )
    .action((name: string, key: string, opts: { ifVersion?: string; keyJson?: boolean }, cmd: Command) =>
      storeDelete(context(cmd), name, key, opts),
    );

  store
    .command("list")
    .description("entries newest first (a table; --json for a JSON array of whole entries)")
    .argument("<store>", "store name")
    .option("--limit <n>", "how many, 1 to 1000 (default 100)")
    .option("--offset <n>", "how many to skip (default 0)")
    .addHelpText(
      "after",
      examples("wfstore store list metrics", "wfstore store list metrics --limit 10 --offset 20 --json"),
    )
    .action((name: string, opts: { limit?: string; offset?: string }, cmd: Command) =>
      storeList(context(cmd), name, opts),
    );

  store
    .command("prune")
    .description("remove entries beyond the newest N and older than D days (default: the store's retention)")
    .argument("<store>", "store name")
    .option("--max-entries <n>", "keep only the newest N entries")
    .option("--ttl-days <d>", "remove entries older than D days (0: none)")
    .addHelpText(
      "after",
      examples("wfstore store prune journal", "wfstore store prune journal --max-entries 100 --json"),
    )
    .action((name: string, opts: { maxEntries?: string; ttlDays?: string }, cmd: Command) =>
      storePrune(context(cmd), name, opts),
    );

  store
    .command("export")
    .description(
      "write every entry as NDJSON on stdout: {key, value, version, updated_at, created_at, task_id} per line",
    )
    .argument("<store>", "store name")
    .addHelpText(
      "after",
      examples("wfstore store export metrics > metrics.ndjson", "wfstore store export metrics | wc -l"),
    )
    .action((name: string, _opts, cmd: Command) => storeExport(context(cmd), name));

  store
    .command("import")
    .description(
      "read NDJSON entries (as export writes them) from stdin or FILE, keeping timestamps, task ids and versions",
    )
    .argument("<store>", "store name")
    .argument("[file]", "read this file instead of stdin")
    .addHelpText(
      "after",
      examples(
        "wfstore store import metrics < metrics.ndjson",
        "wfstore store export metrics | wfstore -f file-stores.yaml store import metrics-copy",
      ),
    )
    .action((name: string, file: string | undefined, _opts, cmd: Command) =>
      storeImport(context(cmd), name, file),
    );

  const migrations = program
    .command("migrations")
    .description("the SQL schema of a PostgreSQL provider (for databases where the app may not run DDL)")
    .hook("preSubcommand", (_cmd, sub) => {
      state.current = sub;
    })
    .addHelpText("after", examples("wfstore migrations print --provider shared > wfstore-schema.sql"));

  migrations
    .command("print")
    .description(
      "print the SQL that creates or upgrades the provider's schema (idempotent; connects to nothing)",
    )
    .option("--provider <name>", "a StoreBackendProvider with plugin: @store/backend-postgres")
    .addHelpText(
      "after",
      examples(
        'wfstore migrations print --provider shared | psql -v ON_ERROR_STOP=1 "$ADMIN_URL"',
        "wfstore -f providers.yaml migrations print --provider shared",
      ),
    )
    .action((opts: { provider?: string }, cmd: Command) => migrationsPrint(context(cmd), opts));

  return program;
}

/** `--key-json`: the KEY argument is a JSON string, for keys a command line cannot carry as typed. */
function keyJsonOption(): Option {
  return new Option(
    "--key-json",
    "KEY is a JSON string (e.g. '\"a\\u00e9\"'), for keys a command line cannot carry as typed",
  );
}
