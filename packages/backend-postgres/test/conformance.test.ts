import { runConformanceSuite } from "@store/testkit";
import { afterAll, beforeAll, describe, it } from "vitest";
import { postgresBackend } from "../src/index";
import { admin, assertServer, dropSchema, uniqueSchema } from "./database";

beforeAll(assertServer);
afterAll(() => admin.end());

// Every check gets its own schema, created by the backend's migration and dropped afterwards.
runConformanceSuite({
  name: "@store/backend-postgres",
  backend: postgresBackend,
  options: () => ({ schema: uniqueSchema("conf"), poolMax: 4 }),
  cleanup: (options) => dropSchema(options.schema as string),
  runner: { describe, it },
});
