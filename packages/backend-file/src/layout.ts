import path from "node:path";

/**
 * The names on disk. A (store, project) is one directory of `<key>.json` value files, with `.meta/`
 * beside them for everything else (README, "Layout on disk").
 */
export const DEFAULT_BASE_PATH = "stores";
/** The directory of the default project ("" is not a directory name; no project id starts with "_"). */
export const DEFAULT_PROJECT_DIR = "_default";
const META_DIR = ".meta";
const LOG_FILE = "index.jsonl";
const KEYS_DIR = "keys";
export const TRASH_DIR = "trash";
/** See VersionCeiling. */
const CEILING_FILE = "versions";
/** Temp files of metadata writes, in `.meta/`. */
export const META_TEMP_PREFIX = "tmp-";
/** Temp files of value writes, in the value directory itself: hidden, so never an entry. */
export const VALUE_TEMP_PREFIX = ".tmp-";

export interface StoreLayout {
  /** The value files' directory. */
  dir: string;
  metaDir: string;
  logFile: string;
  keysDir: string;
  trashDir: string;
  ceilingFile: string;
}

export function storeLayout(dir: string): StoreLayout {
  const metaDir = path.join(dir, META_DIR);
  return {
    dir,
    metaDir,
    logFile: path.join(metaDir, LOG_FILE),
    keysDir: path.join(metaDir, KEYS_DIR),
    trashDir: path.join(metaDir, TRASH_DIR),
    ceilingFile: path.join(metaDir, CEILING_FILE),
  };
}
