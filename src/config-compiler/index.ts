export type { Manifest, ManifestArtifact, ManifestSchema, ServiceDefinition, ServiceMethod } from "./types.js";
export { compileConfigs, DEFAULT_MEMORY_LIMIT_MB, DEFAULT_TIMEOUT_MS } from "./build.js";
export type { CompileOptions, BuildReport, ArtifactReport, BuildTimings } from "./build.js";
export { checkConfigs } from "./check.js";
export type { CheckOptions, CheckReport } from "./check.js";
export { watchConfigs } from "./watch.js";
export type { WatchOptions, ConfigWatcher } from "./watch.js";
export { canonicalJson } from "./canonical.js";
export { CODES as CONFIG_ERROR_CODES } from "./diagnostics.js";
