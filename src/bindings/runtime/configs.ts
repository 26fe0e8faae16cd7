// A stand-in for the generated configs.ts, which watch-runtime.ts imports, so that this folder
// type-checks: its ConfigError exactly as ts.ts emits it (test/unit/bindings-runtime.test.ts keeps
// the two the same). gen does not copy this file.
/** A config file that cannot be read or does not match its schema. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  /** The file (or description of the value) that was loaded. */
  readonly source: string;
  constructor(source: string, message: string) {
    super(source + ": " + message);
    this.source = source;
  }
}
