import { StoreError } from "../errors";
import {
  type Awaitable,
  BACKEND_SPECIFICATION_VERSION,
  type BackendCapabilities,
  type BackendContext,
  type BackendDefinition,
  type BackendInstance,
  NO_CAPABILITIES,
  type OptionsSchema,
} from "./types";

export interface DefineBackendInput<Options> {
  /** The backend's name: its error messages start with it, and `plugin:` may name it when registered. */
  name: string;
  /** The contract the backend implements: `BACKEND_SPECIFICATION_VERSION` of the core it was built with. */
  specificationVersion: string;
  /** What it does natively; every flag left out is off. */
  capabilities?: Partial<BackendCapabilities>;
  /** JSON Schema of the options, in camelCase; manifests' snake_case names are converted first. */
  optionsSchema?: OptionsSchema;
  create(options: Options, context: BackendContext): Awaitable<BackendInstance>;
}

const marker = Symbol.for("@store/core.backend");

/** Declares a backend. First- and third-party backends use this same helper. */
export function defineBackend<Options = Record<string, unknown>>(
  input: DefineBackendInput<Options>,
): BackendDefinition<Options> {
  if (typeof input.name !== "string" || input.name.length === 0) {
    throw new StoreError("INVALID_ARGUMENT", "defineBackend: `name` must be a non-empty string");
  }
  checkSpecificationVersion(input.specificationVersion, `backend "${input.name}"`);
  if (typeof input.create !== "function") {
    throw new StoreError("INVALID_ARGUMENT", `defineBackend(${input.name}): \`create\` must be a function`);
  }
  const capabilities = { ...NO_CAPABILITIES };
  for (const [flag, on] of Object.entries(input.capabilities ?? {})) {
    if (!(flag in NO_CAPABILITIES)) {
      throw new StoreError(
        "INVALID_ARGUMENT",
        `defineBackend(${input.name}): unknown capability "${flag}" (known: ${Object.keys(NO_CAPABILITIES).join(", ")})`,
      );
    }
    capabilities[flag as keyof BackendCapabilities] = on === true;
  }
  return Object.freeze({
    [marker]: true,
    name: input.name,
    specificationVersion: BACKEND_SPECIFICATION_VERSION,
    capabilities: Object.freeze(capabilities),
    optionsSchema: input.optionsSchema,
    create: input.create,
  });
}

/** Recognises a backend definition, also one made by another installed copy of core. */
export function isBackendDefinition(value: unknown): value is BackendDefinition<unknown> {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[marker] === true;
}

/**
 * Refuses a contract version this core does not implement. A v1 backend is not accepted: v2 changed
 * what put and delete return (versions, conflicts), so a v1 backend would silently break them.
 */
export function checkSpecificationVersion(version: unknown, what: string): void {
  if (version === BACKEND_SPECIFICATION_VERSION) return;
  const upgrade =
    version === "v1"
      ? 'upgrade it to a release written for backend contract v2 (its put resolves the version written; see docs/writing-a-backend.md, "From contract v1 to v2")'
      : "use a release of it that matches this @store/core";
  throw new StoreError(
    "UNSUPPORTED",
    `${what} implements backend contract ${JSON.stringify(version)}, but this @store/core implements ${BACKEND_SPECIFICATION_VERSION}: ${upgrade}`,
    { details: { specificationVersion: version, supported: BACKEND_SPECIFICATION_VERSION } },
  );
}
