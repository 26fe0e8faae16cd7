export type { Manifest, ManifestArtifact, ManifestSchema, ServiceDefinition, ServiceMethod } from "./types.js";
