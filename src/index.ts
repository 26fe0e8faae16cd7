/**
 * bale's public library API. The CLI is a thin shell over these functions;
 * every flag maps 1:1 onto an option here.
 */
export { BaleError, BaleErrors, isBaleError } from "./errors.js";
export type { BaleWarning } from "./diagnostics/collector.js";
export type { DiagnosticCode, WarningCode } from "./diagnostics/catalog.js";
export { VERSION } from "./version.js";
export * from "./pack/index.js";
export * from "./config-compiler/index.js";
export * from "./bindings/index.js";
export { inspect, type InspectOptions, type InspectResult } from "./admin/inspect.js";
export { verify, type VerifyOptions, type VerifyResult } from "./admin/verify.js";
export { extract, type ExtractOptions } from "./admin/extract.js";
export { cacheList, type CacheEntry } from "./admin/cache-list.js";
export { cachePrune, type PruneResult } from "./admin/cache-prune.js";
export { readIndex, type ArchiveIndex } from "./archive/format.js";
export { cacheRoot } from "./archive/paths.js";
export { publishConfigs, fleetStatus, fleetHistory, rollbackConfigs, promoteCanary } from "./fleet/index.js";
export { watchPublish } from "./fleet/publisher.js";
export type { PublishWatchOptions } from "./fleet/publisher.js";
export type { FleetOptions, PublishOptions, PublishResult, FleetStatus, ManifestStatus, RollbackOptions, PromoteOptions, FleetManifest, FleetArtifact, HistoryRecord } from "./fleet/index.js";
