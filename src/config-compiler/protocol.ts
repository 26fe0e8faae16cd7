/** Messages between the build (main thread) and evaluation workers. */

export interface ValidatorCode {
  schema: string;
  /** Root-relative path of the validator module. */
  source: string;
  code: string;
}

export type WorkerRequest =
  | { type: "configure"; validators: ValidatorCode[]; timeoutMs: number; memoryLimitMb: number }
  | { type: "eval"; id: number; source: string; kind: "config" | "service"; code: string; profileMs?: number };

export interface ThrowInfo {
  name: string;
  message: string;
  stack: string;
  /** The forbidden API, when the error is a hermeticity violation (Date.now(), ...). */
  hermetic: string | null;
  /** For non-Error throws: the thrown value, shown. */
  thrown: string;
}

export interface SchemaErrorInfo {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message: string;
  /** The offending value, as short JSON, or "(absent)". */
  actual: string;
}

type Logs = { logs: [string, string][] };

export type EvalResult =
  | ({
      status: "ok";
      schema: string;
      /** Compact JSON from the context (for validation). */
      json?: string;
      /** Canonical JSON (the output file's bytes). */
      text: string;
      sha256: string;
      /** What the schema's validator module said, if it has one (used only if the schema validates). */
      validator?: ValidatorOutcome;
    } & Logs)
  | ({ status: "throw"; error: ThrowInfo } & Logs)
  | ({ status: "timeout"; /** Where (bundled coordinates) the script spent its time, from a CPU profile. */ hot?: { line: number; column: number } } & Logs)
  | ({
      status: "memory";
      hot?: { line: number; column: number };
      /** ArrayBuffer allocation over the limit: the error raised where it was refused. */
      error?: ThrowInfo;
    } & Logs)
  | ({ status: "no-default" } & Logs)
  | ({ status: "never-settled" } & Logs)
  | ({ status: "not-constructed"; got: string } & Logs)
  | ({ status: "non-json"; schema: string; issues: [string, string][] } & Logs)
  | ({ status: "wrong-kind"; schema: string } & Logs)
  | ({ status: "unknown-schema-value"; schema: string } & Logs)
  | ({ status: "schema"; schema: string; errors: SchemaErrorInfo[] } & Logs)
  | ({ status: "service-unknown-schema"; schema: string; bad: { pointer: string; name: string }[] } & Logs)
  | ({ status: "validator-throw"; schema: string; validator: string; error: ThrowInfo } & Logs)
  | ({ status: "validator-bad"; schema: string; validator: string; got: string } & Logs)
  | ({ status: "validator-failed"; schema: string; validator: string; messages: string[] } & Logs)
  | ({ status: "validator-timeout"; schema: string; validator: string } & Logs)
  | ({ status: "internal"; message: string } & Logs);

export type ValidatorOutcome =
  | { status: "ok"; messages: string[] }
  | { status: "throw"; error: ThrowInfo }
  | { status: "bad"; got: string }
  | { status: "timeout" }
  | { status: "memory"; error?: ThrowInfo };
