import { defineBackend } from "@store/core";
import { FileBackendInstance } from "./backend";
import { type FileBackendOptions, fileOptionsSchema, resolveOptions } from "./options";

export { DEFAULT_BASE_PATH, DEFAULT_PROJECT_DIR, FileBackendInstance } from "./backend";
export { LOG_FILE, META_DIR } from "./directory";
export { decodeFileName, encodeKey, FILE_EXTENSION, fileNameOf, MAX_NAME_BYTES } from "./key-encoding";
export { type FileBackendOptions, fileOptionsSchema, type ResolvedFileOptions } from "./options";

/** The backend's name; also the builtin provider `file`. */
export const FILE_BACKEND_NAME = "file";

/**
 * Entries as JSON files people can read: `<data dir>/stores/<store>/<project or _default>/<key>.json`
 * holds exactly the value, with an index log beside it for metadata, list order and prune.
 */
export const fileBackend = defineBackend<FileBackendOptions>({
  name: FILE_BACKEND_NAME,
  specificationVersion: "v1",
  capabilities: {
    retentionOnPut: true,
    cursor: true,
    prune: true,
    ttlFilter: true,
    preservesTimestamps: true,
    putMany: true,
  },
  optionsSchema: fileOptionsSchema,
  create(options, context) {
    return new FileBackendInstance(resolveOptions(options, context), context);
  },
});

export default fileBackend;
