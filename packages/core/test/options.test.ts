import { memoryBackend } from "@store/testkit";
import { describe, expect, it } from "vitest";
import { defineBackend } from "../src/backend";
import { camelCaseOptions } from "../src/contract/options";
import { loadManifests, StoreError, StoreManager } from "../src/index";

describe("backend options", () => {
  it("turns a manifest's snake_case names into camelCase, and refuses both spellings at once", () => {
    expect(camelCaseOptions({ busy_timeout_ms: 5, path: "x", already_camelCase: 1 }, "p").options).toEqual({
      busyTimeoutMs: 5,
      path: "x",
      alreadyCamelCase: 1,
    });
    const error = (() => {
      try {
        camelCaseOptions({ busy_timeout_ms: 1, busyTimeoutMs: 2 }, 'provider "db"');
      } catch (e) {
        return e;
      }
    })();
    expect(StoreError.isInstance(error, "INVALID_ARGUMENT")).toBe(true);
    expect((error as Error).message).toBe(
      'provider "db": options "busy_timeout_ms" and "busyTimeoutMs" are the same option; give one',
    );
  });

  it("the backend sees camelCase only, and schema errors name the field as the manifest spells it", async () => {
    const seen: unknown[] = [];
    const strict = defineBackend({
      name: "strict",
      specificationVersion: "v2",
      optionsSchema: {
        type: "object",
        additionalProperties: false,
        properties: { poolMax: { type: "integer", minimum: 1 } },
      },
      create(options, context) {
        seen.push(options);
        return memoryBackend.create({}, context);
      },
    });
    const manifest = (options: string) =>
      loadManifests({
        file: "m.yaml",
        text: `apiVersion: wfstore.dev/v1\nkind: StoreBackendProvider\nmetadata: { name: db }\nspec:\n  plugin: strict\n  options: ${options}\n`,
      });
    const good = new StoreManager({
      resources: manifest("{ pool_max: 4 }"),
      backends: [strict],
      defaultProvider: "db",
    });
    await good.store("s").get("k");
    expect(seen).toEqual([{ poolMax: 4 }]);
    await good.close();
    const bad = new StoreManager({
      resources: manifest("{ pool_max: 0 }"),
      backends: [strict],
      defaultProvider: "db",
    });
    const error = await bad
      .store("s")
      .get("k")
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      'invalid manifest:\n  m.yaml:1:1: spec.options.pool_max: must be >= 1 (options of backend "strict")',
    );
    await bad.close();
    const unknown = new StoreManager({
      resources: manifest("{ pool_size: 4 }"),
      backends: [strict],
      defaultProvider: "db",
    });
    expect(
      (
        (await unknown
          .store("s")
          .get("k")
          .catch((e: unknown) => e)) as Error
      ).message,
    ).toBe(
      'invalid manifest:\n  m.yaml:1:1: spec.options: unknown property "pool_size" (options of backend "strict")',
    );
    await unknown.close();
  });
});
