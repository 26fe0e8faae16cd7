/**
 * A config-evaluation worker. Each task runs in a fresh vm context (only the JS built-ins,
 * made deterministic by the prelude), with vm's timeout; the pool's memory limit is this
 * worker's resourceLimits. Values are checked for plain JSON inside the context, serialized
 * canonically and hashed here, and passed through the schema's validator module if it has one.
 * Schema validation (ajv) happens on the main thread, so workers start fast.
 */
import { parentPort } from "node:worker_threads";
import vm from "node:vm";
import { createHash } from "node:crypto";
import { Session } from "node:inspector";
import { API_GLOBAL, PRELUDE } from "./sandbox.js";
import { canonicalJson } from "./canonical.js";
import type { EvalResult, ThrowInfo, WorkerRequest, ValidatorCode, ValidatorOutcome } from "./protocol.js";

const prelude = new vm.Script(PRELUDE, { filename: "bale:prelude" });
const collectScript = new vm.Script(`${API_GLOBAL}.collect()`, { filename: "bale:collect" });
const describeScript = new vm.Script(`${API_GLOBAL}.describeThrow(globalThis.__bale_thrown)`, { filename: "bale:describe" });
/**
 * Wraps a bundle so that running it and reading its value is one timed call, and whatever it
 * throws is caught and described inside the context (the host never hands a value back in).
 * `try {` sits on the bundle's first line, so the source map's lines stay right.
 */
const wrapBundle = (code: string): string => `try { ${code}\n;${API_GLOBAL}.finish();\n} catch (__bale_e) { ${API_GLOBAL}.describeThrow(__bale_e); }\n`;
const wrapValidator = (code: string): string => `try { ${code}\n;"loaded";\n} catch (__bale_e) { ${API_GLOBAL}.describeThrow(__bale_e); }\n`;

const NO_HOST_GLOBAL = (vm as unknown as { constants?: { DONT_CONTEXTIFY?: vm.Context } }).constants?.DONT_CONTEXTIFY;
let timeoutMs = 5000;
let memoryLimitMb = 256;
let validators = new Map<string, { source: string; script: vm.Script }>();

function freshContext(): vm.Context {
  // DONT_CONTEXTIFY: the context's global is its own ordinary global object, not an interceptor
  // in front of a host-realm object, so no host object (and no host Function) is reachable.
  // Node < 20.18 lacks it: a null-prototype sandbox object then keeps the host's Object.prototype
  // (and its constructor) off the global's lookup path.
  const ctx = vm.createContext(NO_HOST_GLOBAL ?? Object.create(null), { microtaskMode: "afterEvaluate", codeGeneration: { strings: true, wasm: false } });
  // A primitive, read and deleted by the prelude before any script runs.
  (ctx as Record<string, unknown>).__bale_ab_limit = memoryLimitMb * 1024 * 1024;
  // bale's own code: no timeout needed (each timed call starts a watchdog thread, which costs).
  prelude.runInContext(ctx);
  return ctx;
}

class Timeout extends Error {}

/** Runs `script` in `ctx`; returns its string result (our scripts), a ThrowInfo, or throws Timeout. */
function run(ctx: vm.Context, script: vm.Script): string | { thrown: ThrowInfo } {
  try {
    const r: unknown = script.runInContext(ctx, { timeout: timeoutMs, displayErrors: false });
    return typeof r === "string" ? r : "";
  } catch (e) {
    if ((e as { code?: unknown } | null)?.code === "ERR_SCRIPT_EXECUTION_TIMEOUT") throw new Timeout();
    // Rare (the wrapper catches inside the context): e.g. a stack overflow in the catch itself.
    // Defined, not assigned, so no setter a script installed on the global runs here.
    try {
      Object.defineProperty(ctx, "__bale_thrown", { value: e, writable: true, configurable: true, enumerable: false });
      const r = JSON.parse(describeScript.runInContext(ctx, { timeout: timeoutMs }) as string) as { status: string; error?: ThrowInfo };
      if (r.status === "memory") return "{\"status\":\"memory\",\"logs\":[]}";
      if (r.error) return { thrown: r.error };
    } catch (e2) {
      if ((e2 as { code?: unknown } | null)?.code === "ERR_SCRIPT_EXECUTION_TIMEOUT") throw new Timeout();
    }
    return { thrown: { name: "Error", message: "the script threw a value bale could not inspect", stack: "", hermetic: null, thrown: "" } };
  }
}

type Raw = Exclude<EvalResult, { status: "ok" }> | { status: "pending" } | { status: "ok"; schema: string; json: string; logs: [string, string][] };

function parseResult(x: string | { thrown: ThrowInfo }): Raw {
  if (typeof x !== "string") return { status: "throw", error: x.thrown, logs: [] };
  return JSON.parse(x) as Raw;
}

function evaluate(source: string, code: string, profileMs?: number): EvalResult {
  let script: vm.Script;
  try {
    script = new vm.Script(wrapBundle(code), { filename: `bale-bundle:${source}` });
  } catch (e) {
    return { status: "throw", error: { name: "SyntaxError", message: String((e as Error).message), stack: "", hermetic: null, thrown: "" }, logs: [] };
  }
  if (profileMs !== undefined) {
    // The script ran out of memory in another worker: run it briefly under the profiler to see where.
    const hot = hotSpot(source, script, code, profileMs);
    return hot ? { status: "memory", hot, logs: [] } : { status: "memory", logs: [] };
  }
  const ctx = freshContext();
  try {
    let r = parseResult(run(ctx, script));
    if (r.status === "pending") r = parseResult(run(ctx, collectScript));
    if (r.status === "pending") return { status: "never-settled", logs: [] };
    if (r.status !== "ok") return r;
    const text = canonicalJson(JSON.parse(r.json));
    const ok: EvalResult = { status: "ok", schema: r.schema, json: r.json, text, sha256: createHash("sha256").update(text).digest("hex"), logs: r.logs };
    const v = validators.get(r.schema);
    if (v) ok.validator = runValidator(v.script, r.json);
    return ok;
  } catch (e) {
    if (e instanceof Timeout) {
      const hot = hotSpot(source, script, code, Math.min(timeoutMs, 400));
      return hot ? { status: "timeout", hot, logs: [] } : { status: "timeout", logs: [] };
    }
    throw e;
  }
}

/** Runs a validator module on a value (given as JSON text) in its own fresh context. */
function runValidator(script: vm.Script, json: string): ValidatorOutcome {
  const vctx = freshContext();
  try {
    const loaded = run(vctx, script);
    if (typeof loaded !== "string") return { status: "throw", error: loaded.thrown };
    if (loaded !== "loaded") {
      const l = JSON.parse(loaded) as { status: string; error?: ThrowInfo };
      if (l.status === "memory") return { status: "memory", ...(l.error ? { error: l.error } : {}) };
      return { status: "throw", error: l.error as ThrowInfo };
    }
    // The value goes in as a string literal in the script's source: nothing is handed in.
    const r = run(vctx, new vm.Script(`${API_GLOBAL}.validate(${JSON.stringify(json)})`, { filename: "bale:validate" }));
    if (typeof r !== "string") return { status: "throw", error: r.thrown };
    const res = JSON.parse(r) as { status: string; messages?: string[]; got?: string; error?: ThrowInfo };
    if (res.status === "memory") return { status: "memory", ...(res.error ? { error: res.error } : {}) };
    if (res.status === "throw") return { status: "throw", error: res.error as ThrowInfo };
    if (res.status !== "ok") return { status: "bad", got: `${res.status === "bad-validator" ? "a default export of type " : ""}${res.got ?? "?"}` };
    return { status: "ok", messages: res.messages ?? [] };
  } catch (e) {
    if (e instanceof Timeout) return { status: "timeout" };
    throw e;
  }
}

/**
 * Runs a script that timed out once more (briefly) under the CPU profiler and returns the
 * bundled line it spent the most samples on: the loop that never ends.
 */
function hotSpot(source: string, script: vm.Script, code: string, forMs: number): { line: number; column: number } | undefined {
  const session = new Session();
  const post = (method: string, params: object = {}): unknown => {
    let out: unknown;
    let err: Error | null = null;
    session.post(method, params, (e, r) => {
      err = e;
      out = r;
    });
    if (err) throw err;
    return out;
  };
  const saved = timeoutMs;
  try {
    session.connect();
    post("Profiler.enable");
    post("Profiler.setSamplingInterval", { interval: 200 });
    post("Profiler.start");
    timeoutMs = forMs;
    try {
      const ctx = freshContext();
      script.runInContext(ctx, { timeout: timeoutMs, displayErrors: false });
      run(ctx, collectScript);
    } catch {
      /* expected: it times out again */
    }
    const { profile } = post("Profiler.stop") as { profile: { nodes: { callFrame: { url: string; lineNumber: number; columnNumber: number }; positionTicks?: { line: number; ticks: number }[] }[] } };
    const url = `bale-bundle:${source}`;
    let best: { line: number; ticks: number } | undefined;
    for (const n of profile.nodes) {
      if (n.callFrame.url !== url) continue;
      for (const t of n.positionTicks ?? []) if (!best || t.ticks > best.ticks) best = t;
    }
    if (!best) return undefined;
    const lineText = code.split("\n")[best.line - 1] ?? "";
    return { line: best.line, column: lineText.length - lineText.trimStart().length + 1 };
  } catch {
    return undefined;
  } finally {
    timeoutMs = saved;
    try {
      session.disconnect();
    } catch {
      /* ignore */
    }
  }
}

function configure(m: { validators: ValidatorCode[]; timeoutMs: number; memoryLimitMb: number }): void {
  timeoutMs = m.timeoutMs;
  memoryLimitMb = m.memoryLimitMb;
  validators = new Map(m.validators.map((v) => [v.schema, { source: v.source, script: new vm.Script(wrapValidator(v.code), { filename: `bale-bundle:${v.source}` }) }]));
}

parentPort?.on("message", (m: WorkerRequest) => {
  if (m.type === "configure") {
    configure(m);
    return;
  }
  let result: EvalResult;
  try {
    result = evaluate(m.source, m.code, m.profileMs);
  } catch (e) {
    result = { status: "internal", message: e instanceof Error ? (e.stack ?? e.message) : String(e), logs: [] };
  }
  parentPort?.postMessage({ id: m.id, result });
});
