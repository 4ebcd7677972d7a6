import { BACKEND_SPECIFICATION_VERSION, defineBackend } from "@store/core/backend";
import { FileBackend } from "./backend";
import { FILE_BACKEND_NAME, type FileBackendOptions, fileOptionsSchema, resolveOptions } from "./options";

export { FileBackend } from "./backend";
export { decodeFileName, fileNameOf } from "./key-encoding";
export { FILE_BACKEND_NAME, type FileBackendOptions, fileOptionsSchema } from "./options";

/**
 * Entries as JSON files people can read: `<data dir>/stores/<store>/<project or _default>/<key>.json`
 * holds exactly the value, with an index log beside it for metadata, versions, list order and prune.
 * Every capability is native: retention, keyset paging and conditional writes happen under the
 * store directory's lock, in the same step as the write.
 */
export const fileBackend = defineBackend<FileBackendOptions>({
  name: FILE_BACKEND_NAME,
  specificationVersion: BACKEND_SPECIFICATION_VERSION,
  capabilities: { retentionOnPut: true, cursor: true, prune: true, conditionalWrites: true },
  optionsSchema: fileOptionsSchema,
  create(options, context) {
    return new FileBackend(resolveOptions(options, context), context);
  },
});

export default fileBackend;
