/**
 * Types shared between the config compiler and the bindings generator.
 * The on-disk contract between them is `<out>/bale-manifest.json` (Manifest)
 * next to the compiled artifacts, plus the schema files in `<root>/schemas/`.
 */

/** One RPC of a service definition (`Service({...})` in a `*.service.ts`). */
export interface ServiceMethod {
  /** Schema (type) name of the request message, e.g. "HelloRequest". */
  input: string;
  /** Schema (type) name of the response message, e.g. "HelloReply". */
  output: string;
  description?: string;
}

/** The compiled value of a `*.service.ts` script. */
export interface ServiceDefinition {
  /** Fully qualified: `<package>.<Service>`, e.g. "demo.v1.Greeter". */
  name: string;
  methods: Record<string, ServiceMethod>;
  description?: string;
}

export interface ManifestArtifact {
  /** Output path relative to the out dir, POSIX separators, e.g. "configs/prod/greeter.json". */
  output: string;
  /** Source script relative to the project root, e.g. "configs/prod/greeter.config.ts". */
  source: string;
  kind: "config" | "service";
  /** Schema name the value was validated against ("Service" for services). */
  schema: string;
  /** sha256 (hex) of the output file's bytes. */
  sha256: string;
  /** Every project file the value depends on (root-relative, sorted), the script itself included. */
  dependencies: string[];
}

export interface ManifestSchema {
  /** Root-relative path, e.g. "schemas/GreeterConfig.schema.json". */
  file: string;
  sha256: string;
}

/** `<out>/bale-manifest.json`, written as canonical JSON. */
export interface Manifest {
  version: 1;
  /** Sorted by `output`. */
  artifacts: ManifestArtifact[];
  /** Keyed by schema name (the file stem). */
  schemas: Record<string, ManifestSchema>;
}
