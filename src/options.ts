/**
 * The library's boundary: every exported function that takes an options object checks it here first,
 * so a misspelled key (`levle`) or a wrong type (`level: "3"`) from plain JavaScript is a BaleError
 * naming the option, not an option silently ignored or a TypeError deep inside. One table per entry
 * point; the keys of the typed ones are tied to their option interfaces (a key added to
 * `PackOptions` and not here fails tsc). What a value means (a level from 1 to 19, a known target)
 * is still checked where it is used, with that option's own code.
 */
import { diag } from "./diagnostics/create.js";
import type { DiagnosticCode } from "./diagnostics/catalog.js";
import { suggest } from "./diagnostics/suggest.js";
import type { PackOptions } from "./pack/index.js";
import type { CompileOptions } from "./config-compiler/build.js";
import type { CheckOptions } from "./config-compiler/check.js";
import type { WatchOptions } from "./config-compiler/watch.js";
import type { GenerateBindingsOptions } from "./bindings/index.js";
import type { FleetOptions, PromoteOptions, PublishOptions, RollbackOptions } from "./fleet/index.js";
import type { PublishWatchOptions } from "./fleet/publisher.js";
import type { InspectOptions } from "./admin/inspect.js";
import type { VerifyOptions } from "./admin/verify.js";
import type { ExtractOptions } from "./admin/extract.js";
import type { CacheOptions } from "./admin/cache-list.js";

/** A kind of value, and how an error message says it. */
export interface Kind {
  is(v: unknown): boolean;
  says: string;
}

export interface OptionSpec {
  kind: Kind;
  required?: true;
}

export type OptionCode = Extract<DiagnosticCode, "pack-bad-option" | "config-bad-option" | "gen-bad-option" | "fleet-bad-option" | "archive-bad-option">;

export interface EntrySchema {
  /** The function as the user calls it, without "()". */
  fn: string;
  code: OptionCode;
  options: Readonly<Record<string, OptionSpec>>;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export const kinds = {
  string: { is: (v) => typeof v === "string", says: "a string" },
  boolean: { is: (v) => typeof v === "boolean", says: "true or false" },
  number: { is: (v) => typeof v === "number" && Number.isFinite(v), says: "a number" },
  function: { is: (v) => typeof v === "function", says: "a function" },
  strings: { is: (v) => Array.isArray(v) && v.every((x) => typeof x === "string"), says: "an array of strings" },
  env: { is: (v) => isPlainObject(v) && Object.values(v).every((x) => x === undefined || typeof x === "string"), says: "an object of strings (like process.env)" },
  urls: { is: (v) => typeof v === "string" || (Array.isArray(v) && v.every((x) => typeof x === "string")), says: "a string or an array of strings" },
  wholeAtLeast: (min: number): Kind => ({ is: (v) => Number.isSafeInteger(v) && (v as number) >= min, says: min === 1 ? "a whole number >= 1" : `a whole number >= ${min}` }),
} satisfies Record<string, Kind | ((n: number) => Kind)>;

const opt = (kind: Kind): OptionSpec => ({ kind });
const req = (kind: Kind): OptionSpec => ({ kind, required: true });

/** Every key of T (optional ones included), each with its spec: tsc fails when a table and its interface differ. */
type Table<T> = { readonly [K in keyof Required<T>]: OptionSpec };

const PACK: Table<PackOptions> = {
  entry: req(kinds.string),
  output: opt(kinds.string),
  name: opt(kinds.string),
  include: opt(kinds.strings),
  extraEntries: opt(kinds.strings),
  external: opt(kinds.strings),
  exclude: opt(kinds.strings),
  bundle: opt(kinds.boolean),
  config: opt(kinds.string),
  nodeOptions: opt(kinds.string),
  level: opt(kinds.number),
  sourcemap: opt(kinds.boolean),
  node: opt(kinds.string),
  runtime: opt(kinds.string),
  runtimeLevel: opt(kinds.number),
  sourceDateEpoch: opt(kinds.wholeAtLeast(0)),
  cwd: opt(kinds.string),
  target: opt(kinds.string),
};

const COMPILE: Table<CompileOptions> = {
  root: opt(kinds.string),
  out: opt(kinds.string),
  incremental: opt(kinds.boolean),
  workers: opt(kinds.wholeAtLeast(1)),
  timeoutMs: opt(kinds.wholeAtLeast(1)),
  memoryLimitMb: opt(kinds.wholeAtLeast(16)),
};

const CHECK: Table<CheckOptions> = {
  root: opt(kinds.string),
  noTypeCheck: opt(kinds.boolean),
  workers: COMPILE.workers,
  timeoutMs: COMPILE.timeoutMs,
  memoryLimitMb: COMPILE.memoryLimitMb,
};

const WATCH: Table<WatchOptions> = {
  ...COMPILE,
  onBuild: opt(kinds.function),
  onError: opt(kinds.function),
  debounceMs: opt(kinds.wholeAtLeast(0)),
};

const GEN: Table<GenerateBindingsOptions> = {
  root: req(kinds.string),
  outDir: opt(kinds.string),
  langs: req(kinds.strings),
  configOut: opt(kinds.string),
  pythonPackage: opt(kinds.string),
};

const FLEET: Table<FleetOptions> = {
  etcd: req(kinds.urls),
  prefix: opt(kinds.string),
  root: opt(kinds.string),
  timeoutMs: opt(kinds.wholeAtLeast(1)),
};

const PUBLISH: Table<PublishOptions> = {
  ...FLEET,
  out: opt(kinds.string),
  build: opt(kinds.boolean),
  canary: opt(kinds.string),
  by: opt(kinds.string),
  onProgress: opt(kinds.function),
};

const PUBLISH_WATCH: Table<PublishWatchOptions> = {
  ...FLEET,
  out: PUBLISH.out,
  canary: PUBLISH.canary,
  by: PUBLISH.by,
  debounceMs: WATCH.debounceMs,
  onBuild: WATCH.onBuild,
  onPublish: opt(kinds.function),
  onProgress: PUBLISH.onProgress,
  onError: WATCH.onError,
};

const HISTORY: Table<FleetOptions & { limit?: number }> = { ...FLEET, limit: opt(kinds.wholeAtLeast(0)) };
const ROLLBACK: Table<RollbackOptions> = { ...FLEET, to: opt(kinds.string), by: opt(kinds.string) };
const PROMOTE: Table<PromoteOptions> = { ...FLEET, canary: req(kinds.string), expect: opt(kinds.string), by: opt(kinds.string), onProgress: opt(kinds.function) };

const CACHE: Table<CacheOptions> = { env: opt(kinds.env), check: opt(kinds.boolean) };

/** The options of inspect, verify, extract, cacheList and cachePrune (src/admin/). */
export const ADMIN_OPTIONS = {
  inspect: { archive: req(kinds.string), files: opt(kinds.boolean) } satisfies Table<InspectOptions>,
  verify: { archive: req(kinds.string), env: opt(kinds.env) } satisfies Table<VerifyOptions>,
  extract: { archive: req(kinds.string), output: req(kinds.string) } satisfies Table<ExtractOptions>,
  cacheList: CACHE,
  cachePrune: CACHE,
} as const;

/** Every public entry point that takes an options object, by the name it is exported under. */
export const ENTRY_POINTS = {
  pack: { fn: "pack", code: "pack-bad-option", options: PACK },
  compileConfigs: { fn: "compileConfigs", code: "config-bad-option", options: COMPILE },
  checkConfigs: { fn: "checkConfigs", code: "config-bad-option", options: CHECK },
  watchConfigs: { fn: "watchConfigs", code: "config-bad-option", options: WATCH },
  generateBindings: { fn: "generateBindings", code: "gen-bad-option", options: GEN },
  renderBindings: { fn: "renderBindings", code: "gen-bad-option", options: GEN },
  publishConfigs: { fn: "publishConfigs", code: "fleet-bad-option", options: PUBLISH },
  watchPublish: { fn: "watchPublish", code: "fleet-bad-option", options: PUBLISH_WATCH },
  fleetStatus: { fn: "fleetStatus", code: "fleet-bad-option", options: FLEET },
  fleetHistory: { fn: "fleetHistory", code: "fleet-bad-option", options: HISTORY },
  rollbackConfigs: { fn: "rollbackConfigs", code: "fleet-bad-option", options: ROLLBACK },
  promoteCanary: { fn: "promoteCanary", code: "fleet-bad-option", options: PROMOTE },
  inspect: { fn: "inspect", code: "archive-bad-option", options: ADMIN_OPTIONS.inspect },
  verify: { fn: "verify", code: "archive-bad-option", options: ADMIN_OPTIONS.verify },
  extract: { fn: "extract", code: "archive-bad-option", options: ADMIN_OPTIONS.extract },
  cacheList: { fn: "cacheList", code: "archive-bad-option", options: ADMIN_OPTIONS.cacheList },
  cachePrune: { fn: "cachePrune", code: "archive-bad-option", options: ADMIN_OPTIONS.cachePrune },
} as const satisfies Record<string, EntrySchema>;

export type EntryPoint = keyof typeof ENTRY_POINTS;

/** What a value is, for "must be X, not Y". */
function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

/**
 * Throws a BaleError (the entry point's `*-bad-option` code) naming the first option that is unknown,
 * missing or of the wrong kind. An option whose value is `undefined` counts as not given.
 */
export function validateOptions(entry: EntryPoint, o: unknown): void {
  const { fn, code, options } = ENTRY_POINTS[entry] as EntrySchema;
  const names = Object.keys(options);
  if (!isPlainObject(o)) {
    throw diag(`${code}:not-object`, { fn, got: describe(o), required: names.filter((k) => options[k]?.required).map((k) => `${k}: ...`).join(", ") });
  }
  for (const k of Object.keys(o)) {
    if (Object.hasOwn(options, k)) continue;
    const near = suggest(k, names);
    throw near !== undefined ? diag(`${code}:unknown`, { fn, key: k, near }) : diag(`${code}:unknown-other`, { fn, key: k, names: names.join(", ") });
  }
  for (const [k, spec] of Object.entries(options)) {
    const v = o[k];
    if (v === undefined) {
      if (spec.required) throw diag(`${code}:missing`, { fn, key: k, kind: spec.kind.says });
    } else if (!spec.kind.is(v)) {
      throw diag(code, { fn, key: k, kind: spec.kind.says, got: describe(v) });
    }
  }
}
