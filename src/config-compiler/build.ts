/**
 * The config compiler. build() reads top to bottom: prepare (paths, bale.config.json) -> discover ->
 * hash inputs -> load schemas (+ bale-env.d.ts, output paths) -> plan (what changed) -> evaluate
 * (bundle, run in workers, validate) -> explain failures -> next state -> emit (atomic output).
 * Pure library code: returns a report or throws BaleError/BaleErrors; never prints.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, type BigIntStats } from "node:fs";
import { join, relative, resolve } from "node:path";
import { writeFileAtomic } from "../atomic.js";
import { BaleError } from "../errors.js";
import { VERSION } from "../version.js";
import { bundleAll, startBundler, type BundledEntry } from "./bundle.js";
import { canonicalJson } from "./canonical.js";
import { discover, kindOf, outputOf, readProjectFile, toPosix, validatorNameOf, type Discovered, type ProjectFile } from "./discover.js";
import { Diagnostics } from "../diagnostics/collector.js";
import { validateOptions } from "../options.js";
import { ENV_DTS, generateEnvDts } from "./env-dts.js";
import type { ExplainContext } from "./explain.js";
import type { SourceLocator } from "./locate.js";
import { assertReplaceable, CACHE, MANIFEST, recoverOut, settleDeletes, writeTree, type TreeFile } from "./outdir.js";
import { WorkerPool } from "./pool.js";
import type { EvalResult } from "./protocol.js";
import { closure, compileAll, loadSchemas, sha256, type LoadedSchema } from "./schemas.js";
import { checkValue, validatorsFor, type CheckContext, type StandaloneValidators } from "./validate.js";
import type { Manifest, ManifestArtifact } from "./types.js";
import { isSchemaFileName, schemaFileOf } from "../schema/names.js";
import { diag } from "../diagnostics/create.js";

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
  /** The schemas' compiled validators (see validate.ts), so that a build whose schemas did not change need not load ajv. */
  standalone?: StandaloneValidators;
  /** Each input's stat signature and sha256 ("sig sha"), so that a file whose signature is unchanged is not read again (see statSig). */
  stats?: Record<string, string>;
}

/** State that survives between builds of one watch session. */
export interface BuildSession {
  pool?: WorkerPool;
  memoryLimitMb?: number;
  /** Set by a build that wrote `out`: its manifest, and the text of every output evaluated this build (the others are as they were in `out`). A publish uses it instead of reading `out` again. */
  written?: { manifest: Manifest; texts: Map<string, string> };
  /** Held by a watch session across its builds: the parse of `<out>/.bale-cache.json`, reused while the file's signature is the one it was parsed (or written) at. */
  cacheMemo?: { sig?: string; cache?: CacheFile };
  /** Runs once the build has succeeded and `written` is set, before `<out>` is replaced; what it throws fails the build and `<out>` stays as it was (the watching publisher publishes here, so a change reaches etcd without waiting for the output swap). */
  beforeWrite?: () => Promise<void>;
}

/** What a build knows before it reads a script: paths, limits, bale.config.json. */
export interface Prepared {
  root: string;
  out: string;
  /** `incremental` as asked (a build that writes nothing never uses the cache). */
  incremental: boolean;
  workers?: number;
  timeoutMs: number;
  memoryLimitMb: number;
  allowPackages: string[];
  /** bale.config.json is invalid: the build reports this first (a watch keeps running and reports it each time). */
  problem?: BaleError;
}

/** Resolves the options against the root and its bale.config.json. Never throws for bad input: see `problem`. */
export function prepare(o: CompileOptions): Prepared {
  const root = resolve(o.root ?? ".");
  const p: Prepared = {
    root,
    out: resolve(o.out ?? join(root, "out")),
    incremental: o.incremental !== false,
    ...(o.workers !== undefined ? { workers: o.workers } : {}),
    timeoutMs: DEFAULT_TIMEOUT_MS,
    memoryLimitMb: DEFAULT_MEMORY_LIMIT_MB,
    allowPackages: [],
  };
  if (!existsSync(root)) return p; // discover() says so
  let project: ProjectFile = { allowPackages: [] };
  try {
    project = readProjectFile(root);
  } catch (e) {
    if (!(e instanceof BaleError)) throw e;
    p.problem = e;
  }
  p.timeoutMs = o.timeoutMs ?? project.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  p.memoryLimitMb = o.memoryLimitMb ?? project.memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB;
  p.allowPackages = project.allowPackages;
  return p;
}

/** Compiles every config and service script under `root` into `<out>`. */
export async function compileConfigs(o: CompileOptions = {}): Promise<BuildReport> {
  validateOptions("compileConfigs", o);
  return build(prepare(o), {}, true);
}

/**
 * @internal The build, shared by compileConfigs and watch (write) and checkConfigs (no write; it
 * passes the scripts it discovered, for tsc). Steps, top to bottom; each throws BaleErrors listing
 * every problem it found, and nothing is written before the last.
 */
export async function build(p: Prepared, session: BuildSession, write: boolean, found?: Discovered): Promise<BuildReport> {
  const own: OwnPool = {};
  try {
    return await buildWith(p, session, write, found, own);
  } finally {
    // The pool this build made (early, see hashInputs, or for the evaluation) is closed on every path.
    await own.pool?.close();
  }
}

/** The worker pool a build makes when its session has none; the build closes it. */
interface OwnPool {
  pool?: WorkerPool;
}

/** A worker pool with the project's limits (each build's own, or a watch session's). */
export function newPool(p: Pick<Prepared, "memoryLimitMb" | "workers">): WorkerPool {
  return new WorkerPool({ memoryLimitMb: p.memoryLimitMb, ...(p.workers !== undefined ? { size: p.workers } : {}) });
}

async function buildWith(p: Prepared, session: BuildSession, write: boolean, found: Discovered | undefined, own: OwnPool): Promise<BuildReport> {
  if (p.problem) throw p.problem;
  const clock = new Stopwatch();
  if (write) await recover(p.out);
  const files = found ?? discover(p.root, p.out);
  clock.lap("discoverMs");
  // A script that is new or whose files changed will be bundled and evaluated: esbuild and a worker are
  // started as soon as one is seen, so that they boot on the other core while the rest is hashed.
  const inputs = hashInputs(p, session, files, write && p.incremental, () => {
    startBundler();
    if (!session.pool) {
      own.pool ??= newPool(p);
      own.pool.warm(1);
    }
  });
  clock.lap("hashMs");
  const problems = new Diagnostics();
  const set = loadSchemaSet(p, files, inputs, problems);
  const env = problems.failed ? null : await writeEnvDts(p, set, inputs);
  const outputs = checkOutputs(files.scripts, problems);
  problems.throwIfFailed();
  clock.lap("schemasMs");
  const plan = planBuild(p, files, inputs, set);
  const evaluated = await evaluate(p, session.pool ?? (own.pool ??= newPool(p)), plan, set, inputs, clock);
  const logs = await explainFailures(p, plan, set, evaluated);
  const next = nextState(p, files, inputs, set, plan, evaluated, env?.sha ?? "");
  const removed = next.oldOutputs.filter((x) => !outputs.has(x)).sort();
  if (write) session.written = { manifest: next.manifest, texts: new Map(next.files.flatMap((f) => (f.text === undefined ? [] : [[f.path, f.text] as const]))) };
  if (write) await session.beforeWrite?.();
  const wrote = write ? emit(p.out, next, inputs.incremental, session) : false;
  if (write) clock.lap("writeMs");
  return {
    root: p.root,
    out: p.out,
    artifacts: next.reports,
    evaluated: [...plan.dirty],
    unchanged: plan.clean,
    removed,
    changed: next.reports.filter((r) => r.changed).map((r) => r.output),
    wrote,
    envDtsWritten: env?.written ?? false,
    logs,
    timings: clock.done(),
  };
}

/** The build's timings: each step's share, rounded to 0.1 ms. */
class Stopwatch {
  private readonly t0 = performance.now();
  private mark = this.t0;
  readonly timings: BuildTimings = { discoverMs: 0, hashMs: 0, schemasMs: 0, bundleMs: 0, evaluateMs: 0, writeMs: 0, totalMs: 0 };
  lap(k: keyof BuildTimings): void {
    const now = performance.now();
    this.timings[k] += Math.round((now - this.mark) * 10) / 10;
    this.mark = now;
  }
  done(): BuildTimings {
    this.timings.totalMs = Math.round((performance.now() - this.t0) * 10) / 10;
    return this.timings;
  }
}

/** A build killed mid-swap: its output comes back (or goes) before this one reads anything. */
async function recover(out: string): Promise<void> {
  await settleDeletes();
  recoverOut(out);
}

/** Content hashes of every file that matters (memoized; missing files hash as null), and the previous build's cache if it still applies. */
interface Inputs {
  hash(file: string): string | null;
  /** The text of each schema file hashed (read once). */
  texts: Map<string, string>;
  incremental: boolean;
  /** The previous build's cache, when it was made by this bale with the same options. */
  cache: CacheFile | undefined;
  optionsKey: string;
  /** What the next build may trust without reading (see statSig): "sig sha" of each file hashed this build. */
  stats: Record<string, string>;
}

/**
 * A file's stat signature: size, mtime and ctime (ns) and inode. Git's rule for trusting it: an
 * unchanged signature means unchanged content, except for a file modified so recently that a second
 * write could land in the same timestamp tick; such a file gets no signature and is read next time.
 * ctime cannot be set by a program, so a tool that restores an old mtime (tar, cp -p) still changes it.
 */
function statSig(path: string, nowMs: number): string | undefined {
  const st = statSync(path, { bigint: true });
  if (!st.isFile()) return undefined;
  if (Math.max(Number(st.mtimeMs), Number(st.ctimeMs)) > nowMs - RACY_MS) return undefined;
  return sigText(st);
}

/** size:mtimeNs:ctimeNs:inode, the form of both statSig and fileSig. */
const sigText = (st: BigIntStats): string => `${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}`;
/** How recent a change must be for its stat signature not to be trusted (covers 1 s and 2 s timestamp granularity). */
const RACY_MS = 3000;

function hashInputs(p: Prepared, session: BuildSession, found: Discovered, incremental: boolean, onFirstChanged: () => void): Inputs {
  const hashes = new Map<string, string | null>();
  const texts = new Map<string, string>();
  const stats: Record<string, string> = {};
  const nowMs = Date.now();
  const optionsKey = sha256(JSON.stringify({ allow: p.allowPackages }));
  const previous = incremental ? readCache(p.out, session) : undefined;
  const cache = previous !== undefined && previous.version === 1 && previous.bale === VERSION && previous.optionsKey === optionsKey ? previous : undefined;
  const known = cache?.stats ?? {};
  const hash = (file: string): string | null => {
    let v = hashes.get(file);
    if (v === undefined) {
      const path = join(p.root, file);
      try {
        const schema = isSchemaFileName(file);
        // The signature is taken before the read: a write in between changes it, so the next build reads the file again.
        const sig = incremental && !schema ? statSig(path, nowMs) : undefined;
        const prev = sig === undefined ? undefined : known[file];
        if (prev?.startsWith(`${sig} `)) v = prev.slice((sig as string).length + 1);
        else {
          const buf = readFileSync(path);
          v = sha256(buf);
          if (schema) texts.set(file, buf.toString("utf8"));
        }
        if (sig !== undefined) stats[file] = `${sig} ${v}`;
      } catch {
        v = null;
      }
      hashes.set(file, v);
    }
    return v;
  };
  for (const f of [...found.schemas, ...found.validators]) hash(f);
  let changed = false;
  for (const s of found.scripts) {
    const deps = cache?.artifacts[s]?.deps;
    let same = hash(s) !== null && deps !== undefined;
    for (const [d, sha] of Object.entries(deps ?? {})) same = hash(d) === sha && same;
    if (!same && !changed) {
      changed = true;
      onFirstChanged();
    }
  }
  if (cache) for (const a of Object.values(cache.artifacts)) for (const d of Object.keys(a.deps)) hash(d);
  return { hash, texts, incremental, cache, optionsKey, stats };
}

/** The project's schemas, compiled, and its validator modules by schema name. */
interface SchemaSet {
  schemas: LoadedSchema[];
  byName: Map<string, LoadedSchema>;
  /** Sorted names. */
  names: string[];
  schemasKey: string;
  validatorFiles: Map<string, string>;
}

/** Loads and compiles the schemas and pairs each validator with its schema; problems go to `d`. */
function loadSchemaSet(p: Prepared, found: Discovered, inputs: Inputs, d: Diagnostics): SchemaSet {
  const schemas = loadSchemas(
    found.schemas.map((file) => ({ file, text: inputs.texts.get(file) ?? readFileSync(join(p.root, file), "utf8") })),
    d,
  );
  const byName = new Map(schemas.map((s) => [s.name, s]));
  const schemasKey = sha256(JSON.stringify(schemas.map((s) => [s.name, s.sha256])));
  if (!d.failed && inputs.cache?.schemasKey !== schemasKey) compileAll(schemas, d);
  const validatorFiles = new Map<string, string>();
  for (const v of found.validators) {
    const name = validatorNameOf(v);
    if (!byName.has(name)) {
      d.error(diag("config-unknown-schema:validator", { name, schemaFile: schemaFileOf(name) }, { file: v, line: 1 }));
    } else validatorFiles.set(name, v);
  }
  return { schemas, byName, names: schemas.map((s) => s.name).sort(), schemasKey, validatorFiles };
}

const envKeyOf = (set: SchemaSet): string => sha256(`${VERSION}\n${set.schemasKey}`);

/** bale-env.d.ts: regenerated when the schemas changed or the file was edited. Returns its sha256 and whether it was written. */
async function writeEnvDts(p: Prepared, set: SchemaSet, inputs: Inputs): Promise<{ sha: string; written: boolean }> {
  const current = inputs.hash(ENV_DTS);
  if (inputs.cache?.envKey === envKeyOf(set) && inputs.cache.envSha === current) return { sha: current ?? "", written: false };
  const text = await generateEnvDts(set.schemas);
  const sha = sha256(text);
  if (sha === current) return { sha, written: false };
  writeFileSync(join(p.root, ENV_DTS), text);
  return { sha, written: true };
}

/** Output paths: one script per output, none on bale's own files; problems go to `d`. Returns output -> script. */
function checkOutputs(scripts: string[], d: Diagnostics): Map<string, string> {
  const outputs = new Map<string, string>();
  for (const s of scripts) {
    const output = outputOf(s);
    const prev = outputs.get(output);
    if (prev !== undefined) {
      d.error(diag("config-duplicate-output", { script: s, other: prev, output }, { file: s, line: 1 }));
    } else if (output === MANIFEST || output === CACHE) {
      d.error(diag("config-duplicate-output:reserved", { script: s, output }, { file: s, line: 1 }));
    } else outputs.set(output, s);
  }
  return outputs;
}

/** Which scripts must be evaluated (dirty) and which keep their previous output (clean). */
interface BuildPlan {
  dirty: string[];
  clean: string[];
  /** The validator module and what it imports, as the previous build recorded them. */
  validatorDeps(name: string): string[];
  /** A key that changes when a schema, a schema it refers to, or its validator changes. */
  schemaKeyOf(name: string, validatorDeps?: (name: string) => string[]): string;
}

function planBuild(p: Prepared, found: Discovered, inputs: Inputs, set: SchemaSet): BuildPlan {
  const { cache, hash } = inputs;
  const validatorDeps = (name: string): string[] => {
    const v = set.validatorFiles.get(name);
    if (!v) return [];
    const cached = cache?.validators[name];
    return cached && cached.source === v ? cached.deps : [v];
  };
  // Memoized per schema (and validator-deps function): every script of a schema has the same key.
  const memo = new Map<(n: string) => string[], Map<string, string>>();
  const schemaKeyOf = (name: string, vdeps: (n: string) => string[] = validatorDeps): string => {
    let keys = memo.get(vdeps);
    if (!keys) memo.set(vdeps, (keys = new Map()));
    let key = keys.get(name);
    if (key === undefined) {
      if (name === "Service") key = sha256(`Service\n${set.names.join(",")}`);
      else if (!set.byName.has(name)) key = "missing";
      else {
        const parts = closure(name, set.byName).map((n) => `${n}:${set.byName.get(n)?.sha256 ?? "missing"}`);
        for (const d of vdeps(name)) parts.push(`validator ${d}:${hash(d)}`);
        key = sha256(parts.join("\n"));
      }
      keys.set(name, key);
    }
    return key;
  };
  const dirty: string[] = [];
  const clean: string[] = [];
  // What <out> holds, listed once (not a stat per output).
  const present = cache ? listOut(p.out) : new Set<string>();
  for (const s of found.scripts) {
    const c = cache?.artifacts[s];
    const ok =
      c !== undefined &&
      c.output === outputOf(s) &&
      Object.entries(c.deps).every(([d, sha]) => hash(d) === sha) &&
      schemaKeyOf(c.schema) === c.schemaKey &&
      present.has(c.output);
    (ok ? clean : dirty).push(s);
  }
  return { dirty, clean, validatorDeps, schemaKeyOf };
}

interface Evaluation {
  results: Map<string, EvalResult>;
  bundles: Map<string, BundledEntry>;
  /** What each validator module imports, as esbuild found it this build. */
  validatorDeps: Map<string, string[]>;
  /** The schemas' validators as standalone code, when they were loaded or compiled this build. */
  standalone?: StandaloneValidators | undefined;
}

/** Bundles the dirty scripts and the validators, and evaluates and validates each script in the worker pool. */
async function evaluate(p: Prepared, pool: WorkerPool, plan: BuildPlan, set: SchemaSet, inputs: Inputs, clock: Stopwatch): Promise<Evaluation> {
  const ev: Evaluation = { results: new Map(), bundles: new Map(), validatorDeps: new Map() };
  if (!plan.dirty.length) return ev;
  // The validators: from the cache's standalone code when the schemas did not change, else compiled (ajv is loaded then).
  const cached = inputs.cache?.standalone?.schemasKey === set.schemasKey ? inputs.cache.standalone : undefined;
  const compiled = validatorsFor(set.schemasKey, set.schemas, cached);
  compiled.catch(() => undefined);
  pool.warm(Math.min(pool.size, plan.dirty.length));
  ev.bundles = await bundleAll({ root: p.root, entries: [...plan.dirty, ...set.validatorFiles.values()], schemaNames: set.names, allowPackages: p.allowPackages });
  clock.lap("bundleMs");
  for (const [name, v] of set.validatorFiles) ev.validatorDeps.set(name, ev.bundles.get(v)?.dependencies ?? [v]);
  for (const deps of ev.validatorDeps.values()) for (const f of deps) inputs.hash(f);
  pool.configure({
    validators: [...set.validatorFiles].map(([schema, source]) => ({ schema, source, code: (ev.bundles.get(source) as BundledEntry).code })),
    timeoutMs: p.timeoutMs,
    memoryLimitMb: p.memoryLimitMb,
  });
  const v = await compiled;
  ev.standalone = v.standalone;
  const check: CheckContext = { validators: v.get, byName: set.byName, scripts: set.validatorFiles };
  await Promise.all(
    plan.dirty.map(async (s) => {
      const code = (ev.bundles.get(s) as BundledEntry).code;
      let r = await pool.run({ source: s, kind: kindOf(s), code });
      // Out of memory: a short profiled re-run (stopped long before the limit) finds the busy line.
      if (r.status === "memory" && !r.error) r = await pool.run({ source: s, kind: kindOf(s), code, profileMs: 30 });
      ev.results.set(s, checkValue(kindOf(s), r, check));
    }),
  );
  clock.lap("evaluateMs");
  return ev;
}

/** The scripts' console output, in source order; throws every evaluation error, explained (file, line, fix), in source order. */
async function explainFailures(p: Prepared, plan: BuildPlan, set: SchemaSet, ev: Evaluation): Promise<BuildReport["logs"]> {
  const d = new Diagnostics();
  const logs: BuildReport["logs"] = [];
  let locator: Promise<SourceLocator> | undefined;
  const ctx: ExplainContext = {
    root: p.root,
    maps: new Map([...ev.bundles].map(([k, v]) => [k, v.map])),
    // Explaining a failure (and locating it in the sources) is loaded only when a script failed.
    locator: () => (locator ??= import("./locate.js").then((m) => m.SourceLocator.create(p.root))),
    schemas: set.byName,
    timeoutMs: p.timeoutMs,
    memoryLimitMb: p.memoryLimitMb,
  };
  for (const s of plan.dirty) {
    const r = ev.results.get(s) as EvalResult;
    for (const [level, message] of r.logs) logs.push({ source: s, level, message });
    if (r.status !== "ok") for (const e of await (await import("./explain.js")).explain(s, r, ctx)) d.error(e);
  }
  d.throwIfFailed();
  return logs;
}

/** The build's result: the manifest, the cache and the files of <out>, and the report of each artifact. */
interface NextState {
  /** The previous build's outputs (from its cache, or its manifest when there is no usable cache). */
  oldOutputs: string[];
  manifest: Manifest;
  reports: ArtifactReport[];
  files: TreeFile[];
  cache: CacheFile;
  /** The canonical texts are made when `<out>` is written, not before (a watching publisher publishes first). */
  manifestText(): string;
  cacheText(): string;
}

function nextState(p: Prepared, found: Discovered, inputs: Inputs, set: SchemaSet, plan: BuildPlan, ev: Evaluation, envSha: string): NextState {
  // What the previous build wrote: its cache and its manifest are written together, so the cache says it
  // without parsing the manifest; without a usable cache, the manifest.
  const oldSha = new Map(inputs.cache ? Object.values(inputs.cache.artifacts).map((a) => [a.output, a.sha256] as const) : (readManifest(p.out)?.artifacts ?? []).map((a) => [a.output, a.sha256] as const));
  const validatorDeps = (name: string): string[] => ev.validatorDeps.get(name) ?? plan.validatorDeps(name);
  const artifacts: ManifestArtifact[] = [];
  const reports: ArtifactReport[] = [];
  const standalone = ev.standalone ?? (inputs.cache?.standalone?.schemasKey === set.schemasKey ? inputs.cache.standalone : undefined);
  const cache: CacheFile = { version: 1, bale: VERSION, optionsKey: inputs.optionsKey, schemasKey: set.schemasKey, envKey: envKeyOf(set), envSha, validators: {}, artifacts: {}, ...(standalone ? { standalone } : {}), stats: inputs.stats };
  for (const [name, source] of set.validatorFiles) cache.validators[name] = { source, deps: validatorDeps(name) };
  const files: TreeFile[] = [];
  for (const s of found.scripts) {
    const output = outputOf(s);
    const r = ev.results.get(s) as Extract<EvalResult, { status: "ok" }> | undefined;
    let a: ManifestArtifact;
    if (r !== undefined) {
      a = { output, source: s, kind: kindOf(s), schema: r.schema, sha256: r.sha256, dependencies: (ev.bundles.get(s) as BundledEntry).dependencies };
    } else {
      const c = (inputs.cache as CacheFile).artifacts[s] as CacheArtifact;
      a = { output, source: s, kind: kindOf(s), schema: c.schema, sha256: c.sha256, dependencies: Object.keys(c.deps).sort() };
    }
    artifacts.push(a);
    cache.artifacts[s] = {
      output,
      kind: a.kind,
      schema: a.schema,
      schemaKey: plan.schemaKeyOf(a.schema, validatorDeps),
      sha256: a.sha256,
      deps: Object.fromEntries(a.dependencies.map((d) => [d, inputs.hash(d) ?? ""])),
    };
    reports.push({ source: s, output, kind: a.kind, schema: a.schema, status: r !== undefined ? "evaluated" : "unchanged", changed: oldSha.get(output) !== a.sha256, sha256: a.sha256 });
    files.push(r === undefined ? { path: output } : { path: output, text: r.text });
  }
  artifacts.sort((x, y) => (x.output < y.output ? -1 : x.output > y.output ? 1 : 0));
  reports.sort((x, y) => (x.output < y.output ? -1 : x.output > y.output ? 1 : 0));
  const manifest: Manifest = {
    version: 1,
    artifacts,
    schemas: Object.fromEntries(set.schemas.map((s) => [s.name, { file: s.file, sha256: s.sha256 }])),
  };
  return { oldOutputs: [...oldSha.keys()], manifest, reports, files, cache, manifestText: once(() => canonicalJson(manifest)), cacheText: once(() => JSON.stringify(cache) + "\n") };
}

function once(f: () => string): () => string {
  let v: string | undefined;
  return () => (v ??= f());
}

/** Replaces <out> atomically, unless its outputs are identical (then at most the cache is refreshed). Returns whether <out> was replaced. */
function emit(out: string, next: NextState, incremental: boolean, session: BuildSession): boolean {
  const wrote = replaceOut(out, next, incremental);
  // A watch session keeps the cache it just wrote, under the new file's signature (the next build need not parse it).
  const memo = session.cacheMemo;
  if (memo !== undefined && incremental) {
    const sig = fileSig(join(out, CACHE));
    if (sig !== undefined) {
      memo.sig = sig;
      memo.cache = next.cache;
    }
  }
  return wrote;
}

function replaceOut(out: string, next: NextState, incremental: boolean): boolean {
  const oldManifestText = readText(join(out, MANIFEST));
  if (oldManifestText === next.manifestText() && next.reports.every((r) => !r.changed)) {
    if (incremental && readText(join(out, CACHE)) !== next.cacheText()) {
      writeFileAtomic(join(out, CACHE), next.cacheText());
    }
    return false;
  }
  assertReplaceable(out);
  writeTree(out, [...next.files, { path: MANIFEST, text: next.manifestText() }, { path: CACHE, text: next.cacheText() }]);
  return true;
}

/** The paths under <out> (POSIX, relative), or none when it cannot be read. */
function listOut(out: string): Set<string> {
  try {
    return new Set(readdirSync(out, { recursive: true, encoding: "utf8" }).map(toPosix));
  } catch {
    return new Set();
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** A file's identity for a reuse check: size, mtime, ctime (ns) and inode; undefined when it is missing. A replaced file has a new inode. */
function fileSig(path: string): string | undefined {
  const st = statSync(path, { bigint: true, throwIfNoEntry: false });
  return st ? sigText(st) : undefined;
}

function readCache(out: string, session: BuildSession): CacheFile | undefined {
  if (!existsSync(join(out, MANIFEST))) return undefined;
  const memo = session.cacheMemo;
  const sig = memo !== undefined ? fileSig(join(out, CACHE)) : undefined;
  if (memo?.cache !== undefined && sig !== undefined && memo.sig === sig) return memo.cache;
  const t = readText(join(out, CACHE));
  if (t === undefined) return undefined;
  try {
    const c = JSON.parse(t) as CacheFile;
    const ok = c && typeof c === "object" && c.artifacts && c.validators ? c : undefined;
    if (memo !== undefined && ok && sig !== undefined) {
      memo.sig = sig;
      memo.cache = ok;
    }
    return ok;
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
