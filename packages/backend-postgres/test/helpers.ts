import { ResourceSet, type StoreHandle, StoreManager } from "@store/core";
import type { BackendContext } from "@store/core/backend";
import { type PostgresBackend, type PostgresBackendOptions, postgresBackend } from "../src/index";
import { dropSchema, uniqueSchema } from "./database";

/** What core hands `create`; this backend reads none of it. */
export const CONTEXT: BackendContext = {
  dataDir: "/nonexistent",
  providerName: "test",
  baseDir: "/nonexistent",
  now: Date.now,
  warn: (message) => {
    throw new Error(`unexpected warning: ${message}`);
  },
};

/** Schemas made by a test file, dropped by `dropAll` in its afterAll. */
export class Schemas {
  private readonly made: string[] = [];

  name(tag: string): string {
    const schema = uniqueSchema(tag);
    this.made.push(schema);
    return schema;
  }

  async dropAll(): Promise<void> {
    for (const schema of this.made.splice(0)) await dropSchema(schema);
  }
}

export async function openBackend(options: PostgresBackendOptions): Promise<PostgresBackend> {
  return (await postgresBackend.create(options, CONTEXT)) as PostgresBackend;
}

/**
 * A manager whose stores all use a `shared` provider of this backend with `options` (given as code
 * gives them: the manager validates them against the schema). Warnings land in `warnings`.
 */
export function managerWith(
  options: Record<string, unknown>,
  warnings: string[] = [],
  stores: ResourceSet["stores"] = [],
): StoreManager {
  const resources = new ResourceSet({
    providers: [
      { name: "shared", mode: "plugin", plugin: "postgres", spec: { plugin: "postgres", options } },
    ],
    stores: [...stores],
  });
  return new StoreManager({
    resources,
    backends: [postgresBackend],
    defaultProvider: "shared",
    dataDir: "/nonexistent",
    onWarning: (message) => warnings.push(message),
  });
}

export async function rejection(promise: Promise<unknown> | (() => unknown)): Promise<unknown> {
  try {
    await (typeof promise === "function" ? promise() : promise);
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

export type { StoreHandle };
