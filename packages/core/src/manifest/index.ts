export { type ManifestInput, loadManifests, manifestFiles, mergeResources, parseManifests } from "./load";
export { type ParsedDocument, objectDocuments, parseYamlDocuments } from "./parse";
export { API_VERSIONS, BASE_DIR_ANNOTATION, KINDS, type ValidationResult, validateDocuments } from "./validate";
