/**
 * A config-evaluation worker. Each task runs in a fresh vm context (only the JS built-ins,
 * made deterministic by the prelude), with vm's timeout; the pool's memory limit is this
 * worker's resourceLimits. Values are checked for plain JSON inside the context, validated
 * with ajv and the optional validator module here, and serialized canonically.
 */
import { parentPort } from "node:worker_threads";
import vm from "node:vm";
import { createHash } from "node:crypto";
import { Session } from "node:inspector";
import { API_GLOBAL, PRELUDE } from "./sandbox.js";
import { makeAjv, type Ajv, type SchemaSource } from "./ajv.js";
import { canonicalJson } from "./canonical.js";
import type { EvalResult, ThrowInfo, WorkerRequest, ValidatorCode } from "./protocol.js";

const prelude = new vm.Script(PRELUDE, { filename: "bale:prelude" });
const finishScript = new vm.Script(`${API_GLOBAL}.finish()`, { filename: "bale:finish" });
const collectScript = new vm.Script(`${API_GLOBAL}.collect()`, { filename: "bale:collect" });
const describeScript = new vm.Script(`${API_GLOBAL}.describeThrow(globalThis.__bale_thrown)`, { filename: "bale:describe" });
const validateScript = new vm.Script(`${API_GLOBAL}.validate(globalThis.__bale_input)`, { filename: "bale:validate" });

let timeoutMs = 5000;
let schemas: SchemaSource[] = [];
let schemaNames = new Set<string>();
let validators = new Map<string, { source: string; script: vm.Script }>();
let ajv: Ajv | undefined;

function freshContext(): vm.Context {
  const ctx = vm.createContext({}, { microtaskMode: "afterEvaluate", codeGeneration: { strings: true, wasm: false } });
  prelude.runInContext(ctx, { timeout: timeoutMs });
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
    (ctx as Record<string, unknown>).__bale_thrown = e;
    const r = JSON.parse(describeScript.runInContext(ctx, { timeout: timeoutMs }) as string) as { error: ThrowInfo };
    return { thrown: r.error };
  }
}

function evaluate(source: string, kind: "config" | "service", code: string, profileMs?: number): EvalResult {
  let script: vm.Script;
  try {
    script = new vm.Script(code, { filename: `bale-bundle:${source}` });
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
    const first = run(ctx, script);
    if (typeof first !== "string" && "thrown" in first) return { status: "throw", error: first.thrown, logs: [] };
    let r = parseResult(run(ctx, finishScript));
    if (r.status === "pending") r = parseResult(run(ctx, collectScript));
    if (r.status === "pending") return { status: "never-settled", logs: [] };
    if (r.status !== "ok") return r;
    return check(source, kind, r.schema, r.json, r.logs);
  } catch (e) {
    if (e instanceof Timeout) {
      const hot = hotSpot(source, script, code, Math.min(timeoutMs, 400));
      return hot ? { status: "timeout", hot, logs: [] } : { status: "timeout", logs: [] };
    }
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
      run(ctx, finishScript);
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

type Raw = Exclude<EvalResult, { status: "ok" }> | { status: "pending" } | { status: "ok"; schema: string; json: string; logs: [string, string][] };
function parseResult(x: string | { thrown: ThrowInfo }): Raw {
  if (typeof x !== "string") return { status: "throw", error: x.thrown, logs: [] };
  return JSON.parse(x) as never;
}

function getAjv(): Ajv {
  ajv ??= makeAjv(schemas);
  return ajv;
}

function check(source: string, kind: "config" | "service", schema: string, json: string, logs: [string, string][]): EvalResult {
  if ((kind === "service") !== (schema === "Service")) return { status: "wrong-kind", schema, logs };
  const value = JSON.parse(json) as unknown;
  const s = schemas.find((x) => x.name === schema);
  if (!s) return { status: "unknown-schema-value", schema, logs };
  const validate = getAjv().getSchema(s.key);
  if (!validate) throw new Error(`schema ${s.key} is not registered`);
  if (!validate(value)) {
    const errors = (validate.errors ?? []).map((e) => ({
      instancePath: e.instancePath,
      schemaPath: e.schemaPath,
      keyword: e.keyword,
      params: e.params as Record<string, unknown>,
      message: e.message ?? "",
      actual: snippet(
        pointerGet(
          value,
          e.keyword === "additionalProperties" || e.keyword === "unevaluatedProperties"
            ? `${e.instancePath}/${esc(String((e.params as Record<string, unknown>).additionalProperty ?? (e.params as Record<string, unknown>).unevaluatedProperty))}`
            : e.instancePath,
        ),
      ),
    }));
    return { status: "schema", schema, errors, logs };
  }
  if (schema === "Service") {
    const bad: { pointer: string; name: string }[] = [];
    const methods = (value as { methods: Record<string, { input: string; output: string }> }).methods;
    for (const [m, def] of Object.entries(methods)) {
      for (const io of ["input", "output"] as const) if (!schemaNames.has(def[io])) bad.push({ pointer: `/methods/${esc(m)}/${io}`, name: def[io] });
    }
    if (bad.length) return { status: "service-unknown-schema", schema, bad, logs };
  }
  const v = validators.get(schema);
  if (v) {
    const vctx = freshContext();
    try {
      const loaded = run(vctx, v.script);
      if (typeof loaded !== "string" && "thrown" in loaded) return { status: "validator-throw", schema, validator: v.source, error: loaded.thrown, logs };
      (vctx as Record<string, unknown>).__bale_input = json;
      const r = run(vctx, validateScript);
      if (typeof r !== "string") return { status: "validator-throw", schema, validator: v.source, error: r.thrown, logs };
      const res = JSON.parse(r) as { status: string; messages?: string[]; got?: string; error?: ThrowInfo };
      if (res.status === "throw") return { status: "validator-throw", schema, validator: v.source, error: res.error as ThrowInfo, logs };
      if (res.status !== "ok") return { status: "validator-bad", schema, validator: v.source, got: `${res.status === "bad-validator" ? "a default export of type " : ""}${res.got ?? "?"}`, logs };
      if (res.messages && res.messages.length) return { status: "validator-failed", schema, validator: v.source, messages: res.messages, logs };
    } catch (e) {
      if (e instanceof Timeout) return { status: "validator-timeout", schema, validator: v.source, logs };
      throw e;
    }
  }
  const text = canonicalJson(value);
  return { status: "ok", schema, text, sha256: createHash("sha256").update(text).digest("hex"), logs };
}

function esc(k: string): string {
  return k.replace(/~/g, "~0").replace(/\//g, "~1");
}

function pointerGet(v: unknown, pointer: string): unknown {
  if (pointer === "") return v;
  let cur = v;
  for (const raw of pointer.slice(1).split("/")) {
    const k = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

function snippet(v: unknown): string {
  if (v === undefined) return "(absent)";
  const s = JSON.stringify(v);
  return s.length > 80 ? s.slice(0, 77) + "..." : s;
}

function configure(m: { schemas: SchemaSource[]; schemaNames: string[]; validators: ValidatorCode[]; timeoutMs: number }): void {
  timeoutMs = m.timeoutMs;
  schemas = m.schemas;
  schemaNames = new Set(m.schemaNames);
  validators = new Map(m.validators.map((v) => [v.schema, { source: v.source, script: new vm.Script(v.code, { filename: `bale-bundle:${v.source}` }) }]));
  ajv = undefined;
}

parentPort?.on("message", (m: WorkerRequest) => {
  if (m.type === "configure") {
    configure(m);
    return;
  }
  let result: EvalResult;
  try {
    result = evaluate(m.source, m.kind, m.code, m.profileMs);
  } catch (e) {
    result = { status: "internal", message: e instanceof Error ? (e.stack ?? e.message) : String(e), logs: [] };
  }
  parentPort?.postMessage({ id: m.id, result });
});
