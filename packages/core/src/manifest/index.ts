export { loadManifests, type ManifestInput, manifestFiles, mergeResources, parseManifests } from "./load";
export { objectDocuments, type ParsedDocument, parseYamlDocuments } from "./parse";
export {
  API_VERSIONS,
  BASE_DIR_ANNOTATION,
  KINDS,
  type ValidationResult,
  validateDocuments,
} from "./validate";
