import { StoreError } from "@store/core";
import { POSTGRES_PACKAGE } from "../backends";
import type { Context } from "../context";
import { CliError } from "../errors";
import { writeAll } from "../io";

/**
 * `migrations print --provider NAME`: the SQL that creates or upgrades a PostgreSQL provider's schema,
 * for teams whose application user may not run DDL (apply it as a privileged role, then set
 * `migrate: false`). Prints what the backend itself would run; connects to nothing.
 */
export async function migrationsPrint(ctx: Context, options: { provider?: string }): Promise<void> {
  const name = options.provider;
  if (name === undefined) {
    throw new CliError(
      "USAGE",
      "migrations print needs the provider: wfstore migrations print --provider NAME (see `wfstore migrations print --help`)",
    );
  }
  const provider = ctx.providerResources(name).findProvider(name);
  if (!provider) {
    throw new StoreError(
      "PROVIDER_NOT_FOUND",
      `storebackendprovider "${name}" is not declared: apply its manifest, or give it with -f`,
      { details: { provider: name } },
    );
  }
  if (provider.mode !== "plugin" || provider.plugin !== POSTGRES_PACKAGE) {
    const served = provider.mode === "plugin" ? `the package ${provider.plugin}` : `${provider.mode}`;
    throw new StoreError(
      "INVALID_ARGUMENT",
      `storebackendprovider "${name}" is served by ${served}, not ${POSTGRES_PACKAGE}: only PostgreSQL providers have migrations to print`,
      { details: { provider: name } },
    );
  }
  // The backend checks the option (a plain identifier) and refuses it with its own message.
  const { schema } = (provider.spec.options ?? {}) as { schema?: string };
  const { postgresMigrationSql } = await import("@store/backend-postgres");
  await writeAll(ctx.io.stdout, postgresMigrationSql(schema === undefined ? {} : { schema }));
}
