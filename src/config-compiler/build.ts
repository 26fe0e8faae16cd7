/**
 * The config compiler: discover -> hash -> (incremental) bundle -> evaluate in workers ->
 * validate -> canonical JSON -> atomic output. Pure library code: returns a report or throws
 * BaleError/BaleErrors; never prints.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { writeFileAtomic } from "../atomic.js";
import { BaleError, BaleErrors } from "../errors.js";
import { VERSION } from "../version.js";
import { bundleAll, type BundledEntry } from "./bundle.js";
import { canonicalJson } from "./canonical.js";
import { configError } from "./diagnostics.js";
import { discover, kindOf, outputOf, readProjectFile, toPosix, validatorNameOf } from "./discover.js";
import { ENV_DTS, generateEnvDts } from "./env-dts.js";
import { explain, type ExplainContext } from "./explain.js";
import { SourceLocator } from "./locate.js";
import { assertReplaceable, CACHE, MANIFEST, recoverOut, settleDeletes, writeTree, type TreeFile } from "./outdir.js";
import { WorkerPool } from "./pool.js";
import type { EvalResult } from "./protocol.js";
import { closure, compileAll, loadSchemas, sha256, type LoadedSchema } from "./schemas.js";
import { ajvFor, checkValue, type CheckContext } from "./validate.js";
import type { Manifest, ManifestArtifact } from "./types.js";
import { isSchemaFileName, schemaFileOf } from "../schema/names.js";

export const DEFAULT_TIMEOUT_MS = 5000;
export const DEFAULT_MEMORY_LIMIT_MB = 256;

export interface CompileOptions {
  /** Project root (default "."). */
  root?: string;
  /** Output directory (default "<root>/out"). */
  out?: string;
  /** Reuse `<out>/.bale-cache.json` to re-evaluate only what changed (default true). */
  incremental?: boolean;
  /** Evaluation worker threads (default: available parallelism, at most 8). */
  workers?: number;
  /** Per-script time limit; overrides bale.config.json "timeoutMs" (default 5000). */
  timeoutMs?: number;
  /** Per-worker heap limit; overrides bale.config.json "memoryLimitMb" (default 256). */
  memoryLimitMb?: number;
}

export interface ArtifactReport {
  source: string;
  output: string;
  kind: "config" | "service";
  schema: string;
  /** "evaluated" this build, or "unchanged" (inputs identical to the previous build). */
  status: "evaluated" | "unchanged";
  /** The output's bytes differ from the previous build's (or it is new). */
  changed: boolean;
  sha256: string;
}

export interface BuildTimings {
  discoverMs: number;
  hashMs: number;
  schemasMs: number;
  bundleMs: number;
  evaluateMs: number;
  writeMs: number;
  totalMs: number;
}

export interface BuildReport {
  root: string;
  out: string;
  /** Every artifact, sorted by output path. */
  artifacts: ArtifactReport[];
  /** Sources evaluated this build. */
  evaluated: string[];
  /** Sources whose previous output was reused. */
  unchanged: string[];
  /** Outputs removed because their script is gone. */
  removed: string[];
  /** Outputs that are new or whose bytes changed. */
  changed: string[];
  /** Whether `<out>` was replaced (false when nothing changed). */
  wrote: boolean;
  /** Whether bale-env.d.ts was (re)written. */
  envDtsWritten: boolean;
  /** console output of scripts, in source order. */
  logs: { source: string; level: string; message: string }[];
  timings: BuildTimings;
}

interface CacheArtifact {
  output: string;
  kind: "config" | "service";
  schema: string;
  schemaKey: string;
  sha256: string;
  deps: Record<string, string>;
}

interface CacheFile {
  version: 1;
  bale: string;
  optionsKey: string;
  schemasKey: string;
  envKey: string;
  envSha: string;
  validators: Record<string, { source: string; deps: string[] }>;
  artifacts: Record<string, CacheArtifact>;
}

/** State that survives between builds of one watch session. */
export interface BuildSession {
  pool?: WorkerPool;
  memoryLimitMb?: number;
}

interface Prepared {
  root: string;
  out: string;
  timeoutMs: number;
  memoryLimitMb: number;
  allowPackages: string[];
}

function prepare(o: CompileOptions): Prepared {
  const root = resolve(o.root ?? ".");
  const out = resolve(o.out ?? join(root, "out"));
  if (existsSync(root)) {
    const project = readProjectFile(root);
    return {
      root,
      out,
      timeoutMs: o.timeoutMs ?? project.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      memoryLimitMb: o.memoryLimitMb ?? project.memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB,
      allowPackages: project.allowPackages,
    };
  }
  return { root, out, timeoutMs: DEFAULT_TIMEOUT_MS, memoryLimitMb: DEFAULT_MEMORY_LIMIT_MB, allowPackages: [] };
}

/** Compiles every config and service script under `root` into `<out>`. */
export async function compileConfigs(o: CompileOptions = {}): Promise<BuildReport> {
  return build(o, {}, true);
}

export interface Evaluated {
  report: BuildReport;
}

/** @internal The build, shared by compileConfigs (write) and checkConfigs (no write). */
export async function build(o: CompileOptions, session: BuildSession, write: boolean): Promise<BuildReport> {
  const t0 = performance.now();
  const p = prepare(o);
  const { root, out } = p;
  const timings: BuildTimings = { discoverMs: 0, hashMs: 0, schemasMs: 0, bundleMs: 0, evaluateMs: 0, writeMs: 0, totalMs: 0 };
  let mark = t0;
  const lap = (k: keyof BuildTimings): void => {
    const now = performance.now();
    timings[k] += Math.round((now - mark) * 10) / 10;
    mark = now;
  };
  if (write) {
    await settleDeletes();
    recoverOut(out);
  }
  const found = discover(root, out);
  lap("discoverMs");

  // Content hashes of every file that matters (memoized; missing files hash as null).
  const hashes = new Map<string, string | null>();
  const texts = new Map<string, string>();
  const h = (file: string): string | null => {
    let v = hashes.get(file);
    if (v === undefined) {
      try {
        const buf = readFileSync(join(root, file));
        v = sha256(buf);
        if (isSchemaFileName(file)) texts.set(file, buf.toString("utf8"));
      } catch {
        v = null;
      }
      hashes.set(file, v);
    }
    return v;
  };
  const incremental = write && o.incremental !== false;
  const cache = incremental ? readCache(out) : undefined;
  const optionsKey = sha256(JSON.stringify({ allow: p.allowPackages }));
  const cacheOk = cache !== undefined && cache.version === 1 && cache.bale === VERSION && cache.optionsKey === optionsKey;
  for (const f of [...found.schemas, ...found.validators, ...found.scripts]) h(f);
  if (cacheOk) for (const a of Object.values(cache.artifacts)) for (const d of Object.keys(a.deps)) h(d);
  lap("hashMs");

  // Schemas.
  const errors: BaleError[] = [];
  const schemas = loadSchemas(
    found.schemas.map((file) => ({ file, text: texts.get(file) ?? readFileSync(join(root, file), "utf8") })),
    errors,
  );
  const byName = new Map(schemas.map((s) => [s.name, s]));
  const schemasKey = sha256(JSON.stringify(schemas.map((s) => [s.name, s.sha256])));
  if (!errors.length && !(cacheOk && cache.schemasKey === schemasKey)) compileAll(schemas, errors);
  const validatorFiles = new Map<string, string>();
  for (const v of found.validators) {
    const name = validatorNameOf(v);
    if (!byName.has(name)) {
      errors.push(configError("config-unknown-schema", `validator for "${name}", but there is no ${schemaFileOf(name)}`, { file: v, line: 1, fix: `rename it to schemas/<Schema>.validate.ts for an existing schema` }));
    } else validatorFiles.set(name, v);
  }
  // bale-env.d.ts: regenerated when the schemas changed or the file was edited.
  const envKey = sha256(`${VERSION}\n${schemasKey}`);
  let envDtsWritten = false;
  const envPath = join(root, ENV_DTS);
  const envCurrent = h(ENV_DTS);
  let envSha = envCurrent ?? "";
  if (!errors.length && !(cacheOk && cache.envKey === envKey && cache.envSha === envCurrent)) {
    const text = await generateEnvDts(schemas);
    envSha = sha256(text);
    if (envSha !== envCurrent) {
      writeFileSync(envPath, text);
      envDtsWritten = true;
    }
  }
  // Output paths: one script per output, none on bale's own files.
  const outputs = new Map<string, string>();
  for (const s of found.scripts) {
    const output = outputOf(s);
    const prev = outputs.get(output);
    if (prev !== undefined) {
      errors.push(configError("config-duplicate-output", `${s} and ${prev} both compile to ${output}`, { file: s, line: 1, fix: "rename one of them" }));
    } else if (output === MANIFEST || output === CACHE) {
      errors.push(configError("config-duplicate-output", `${s} would compile to ${output}, which is bale's own file`, { file: s, line: 1, fix: "rename the script" }));
    } else outputs.set(output, s);
  }
  lap("schemasMs");
  if (errors.length) throw new BaleErrors(errors);

  // What must be evaluated.
  const validatorDeps = (name: string): string[] => {
    const v = validatorFiles.get(name);
    if (!v) return [];
    const cached = cacheOk ? cache.validators[name] : undefined;
    return cached && cached.source === v ? cached.deps : [v];
  };
  const schemaNames = schemas.map((s) => s.name).sort();
  const schemaKeyOf = (name: string, vdeps: (n: string) => string[] = validatorDeps): string => {
    if (name === "Service") return sha256(`Service\n${schemaNames.join(",")}`);
    if (!byName.has(name)) return "missing";
    const parts = closure(name, byName).map((n) => `${n}:${byName.get(n)?.sha256 ?? "missing"}`);
    for (const d of vdeps(name)) parts.push(`validator ${d}:${h(d)}`);
    return sha256(parts.join("\n"));
  };
  const dirty: string[] = [];
  const clean: string[] = [];
  for (const s of found.scripts) {
    const c = cacheOk ? cache.artifacts[s] : undefined;
    const ok =
      c !== undefined &&
      c.output === outputOf(s) &&
      Object.entries(c.deps).every(([d, sha]) => h(d) === sha) &&
      schemaKeyOf(c.schema) === c.schemaKey &&
      existsSync(join(out, c.output));
    (ok ? clean : dirty).push(s);
  }

  // Bundle and evaluate.
  let pool = session.pool;
  const ownPool = pool === undefined;
  const results = new Map<string, EvalResult>();
  let bundles = new Map<string, BundledEntry>();
  const actualValidatorDeps = new Map<string, string[]>();
  try {
    if (dirty.length) {
      if (!pool) pool = new WorkerPool({ memoryLimitMb: p.memoryLimitMb, ...(o.workers !== undefined ? { size: o.workers } : {}) });
      pool.warm(Math.min(pool.size, dirty.length));
      const validatorEntries = [...validatorFiles.values()];
      try {
        bundles = await bundleAll({ root, entries: [...dirty, ...validatorEntries], schemaNames, allowPackages: p.allowPackages });
      } catch (e) {
        if (Array.isArray(e)) throw new BaleErrors(e as BaleError[]);
        throw e;
      }
      lap("bundleMs");
      for (const [name, v] of validatorFiles) actualValidatorDeps.set(name, bundles.get(v)?.dependencies ?? [v]);
      for (const d of actualValidatorDeps.values()) for (const f of d) h(f);
      pool.configure({
        validators: [...validatorFiles].map(([schema, source]) => ({ schema, source, code: (bundles.get(source) as BundledEntry).code })),
        timeoutMs: p.timeoutMs,
        memoryLimitMb: p.memoryLimitMb,
      });
      const runPool = pool;
      const check: CheckContext = { ajv: ajvFor(schemasKey, schemas), byName, validators: validatorFiles };
      await Promise.all(
        dirty.map(async (s) => {
          const b = bundles.get(s) as BundledEntry;
          let r = await runPool.run({ source: s, kind: kindOf(s), code: b.code });
          // Out of memory: a short profiled re-run (stopped long before the limit) finds the busy line.
          if (r.status === "memory" && !r.error) r = await runPool.run({ source: s, kind: kindOf(s), code: b.code, profileMs: 30 });
          results.set(s, checkValue(kindOf(s), r, check));
        }),
      );
      lap("evaluateMs");
    }
  } finally {
    if (ownPool && pool) await pool.close();
  }

  // Errors, in source order.
  const logs: BuildReport["logs"] = [];
  let locator: Promise<SourceLocator> | undefined;
  const ctx: ExplainContext = {
    root,
    maps: new Map([...bundles].map(([k, v]) => [k, v.map])),
    locator: () => (locator ??= SourceLocator.create(root)),
    schemas: byName,
    timeoutMs: p.timeoutMs,
    memoryLimitMb: p.memoryLimitMb,
  };
  for (const s of dirty) {
    const r = results.get(s) as EvalResult;
    for (const [level, message] of r.logs) logs.push({ source: s, level, message });
    errors.push(...(await explain(s, r, ctx)));
  }
  if (errors.length) throw new BaleErrors(errors);

  // The new state.
  const oldManifest = readManifest(out);
  const oldSha = new Map((oldManifest?.artifacts ?? []).map((a) => [a.output, a.sha256]));
  const finalValidatorDeps = (name: string): string[] => actualValidatorDeps.get(name) ?? validatorDeps(name);
  const artifacts: ManifestArtifact[] = [];
  const reports: ArtifactReport[] = [];
  const newCache: CacheFile = { version: 1, bale: VERSION, optionsKey, schemasKey, envKey, envSha, validators: {}, artifacts: {} };
  for (const [name, source] of validatorFiles) newCache.validators[name] = { source, deps: finalValidatorDeps(name) };
  const files: TreeFile[] = [];
  for (const s of found.scripts) {
    const output = outputOf(s);
    let a: ManifestArtifact;
    let text: string | undefined;
    if (results.has(s)) {
      const r = results.get(s) as Extract<EvalResult, { status: "ok" }>;
      const deps = (bundles.get(s) as BundledEntry).dependencies;
      a = { output, source: s, kind: kindOf(s), schema: r.schema, sha256: r.sha256, dependencies: deps };
      text = r.text;
    } else {
      const c = (cache as CacheFile).artifacts[s] as CacheArtifact;
      a = { output, source: s, kind: kindOf(s), schema: c.schema, sha256: c.sha256, dependencies: Object.keys(c.deps).sort() };
    }
    artifacts.push(a);
    newCache.artifacts[s] = {
      output,
      kind: a.kind,
      schema: a.schema,
      schemaKey: schemaKeyOf(a.schema, finalValidatorDeps),
      sha256: a.sha256,
      deps: Object.fromEntries(a.dependencies.map((d) => [d, h(d) ?? ""])),
    };
    reports.push({ source: s, output, kind: a.kind, schema: a.schema, status: results.has(s) ? "evaluated" : "unchanged", changed: oldSha.get(output) !== a.sha256, sha256: a.sha256 });
    files.push(text === undefined ? { path: output } : { path: output, text });
  }
  artifacts.sort((x, y) => (x.output < y.output ? -1 : x.output > y.output ? 1 : 0));
  reports.sort((x, y) => (x.output < y.output ? -1 : x.output > y.output ? 1 : 0));
  const manifest: Manifest = {
    version: 1,
    artifacts,
    schemas: Object.fromEntries(schemas.map((s) => [s.name, { file: s.file, sha256: s.sha256 }])),
  };
  const manifestText = canonicalJson(manifest);
  const cacheText = JSON.stringify(newCache) + "\n";
  const removed = (oldManifest?.artifacts ?? []).map((a) => a.output).filter((x) => !outputs.has(x)).sort();
  let wrote = false;
  if (write) {
    const oldManifestText = existsSync(join(out, MANIFEST)) ? readFileSync(join(out, MANIFEST), "utf8") : undefined;
    if (oldManifestText === manifestText && reports.every((r) => !r.changed)) {
      // Outputs are identical: at most refresh the cache (atomically, by rename).
      if (incremental && readText(join(out, CACHE)) !== cacheText) writeFileAtomic(join(out, CACHE), cacheText);
    } else {
      assertReplaceable(out);
      files.push({ path: MANIFEST, text: manifestText }, { path: CACHE, text: cacheText });
      writeTree(out, files);
      wrote = true;
    }
    lap("writeMs");
  }
  timings.totalMs = Math.round((performance.now() - t0) * 10) / 10;
  return {
    root,
    out,
    artifacts: reports,
    evaluated: [...dirty],
    unchanged: clean,
    removed,
    changed: reports.filter((r) => r.changed).map((r) => r.output),
    wrote,
    envDtsWritten,
    logs,
    timings,
  };
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

function readCache(out: string): CacheFile | undefined {
  const t = readText(join(out, CACHE));
  if (t === undefined || !existsSync(join(out, MANIFEST))) return undefined;
  try {
    const c = JSON.parse(t) as CacheFile;
    return c && typeof c === "object" && c.artifacts && c.validators ? c : undefined;
  } catch {
    return undefined;
  }
}

function readManifest(out: string): Manifest | undefined {
  const t = readText(join(out, MANIFEST));
  if (t === undefined) return undefined;
  try {
    const m = JSON.parse(t) as Manifest;
    return Array.isArray(m.artifacts) ? m : undefined;
  } catch {
    return undefined;
  }
}

export function relPosix(root: string, p: string): string {
  return toPosix(relative(root, p));
}

export type { LoadedSchema };
