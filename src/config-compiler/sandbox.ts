/**
 * The code that runs inside every fresh vm context before a script: it replaces the
 * non-deterministic APIs, installs the schema-constructor hook and a console that only
 * records, and exposes `__bale_api__` (made inside the context, so no host object ever
 * becomes reachable from user code). The host talks to it only by running small scripts
 * with a timeout and reading back strings.
 */
export const API_GLOBAL = "__bale_api__";

export const PRELUDE = String.raw`(function () {
  "use strict";
  const g = globalThis;
  const define = (o, k, v) => Object.defineProperty(o, k, { value: v, writable: false, enumerable: false, configurable: false });
  const HERMETIC = Symbol("bale.hermetic");
  const forbid = (api, why) => {
    const e = new Error(api + " is not available in config scripts: " + why);
    e[HERMETIC] = api;
    throw e;
  };
  const RealDate = g.Date;
  const Date = function Date(...args) {
    if (!new.target) forbid("Date()", "it reads the clock; pass a fixed timestamp, e.g. new Date(\"2024-01-01T00:00:00Z\")");
    if (args.length === 0) forbid("new Date()", "it reads the clock; pass a fixed timestamp, e.g. new Date(\"2024-01-01T00:00:00Z\")");
    return Reflect.construct(RealDate, args, new.target);
  };
  Date.prototype = RealDate.prototype;
  Object.defineProperty(RealDate.prototype, "constructor", { value: Date, writable: true, configurable: true, enumerable: false });
  define(Date, "UTC", RealDate.UTC);
  define(Date, "parse", RealDate.parse);
  define(Date, "now", function now() { return forbid("Date.now()", "it reads the clock; configs must evaluate to the same value every time"); });
  define(g, "Date", Date);
  define(g.Math, "random", function random() { return forbid("Math.random()", "configs must evaluate to the same value every time; derive values from your inputs"); });
  Object.freeze(g.Math);
  // GC-timing dependent, hence non-deterministic.
  delete g.WeakRef;
  delete g.FinalizationRegistry;

  const tags = new WeakMap();
  const prims = [];
  define(g, "__bale_tag__", function (name, value) {
    if (value !== null && (typeof value === "object" || typeof value === "function")) tags.set(value, name);
    else prims.push([name, value]);
    return value;
  });

  const logs = [];
  const show = (v) => {
    if (typeof v === "string") return v;
    try { const s = JSON.stringify(v); return s === undefined ? String(v) : s; } catch { try { return String(v); } catch { return "[value]"; } }
  };
  const log = (level) => function (...args) { if (logs.length < 1000) logs.push([level, args.map(show).join(" ")]); };
  define(g, "console", Object.freeze({ log: log("log"), info: log("info"), warn: log("warn"), error: log("error"), debug: log("debug") }));

  const esc = (k) => String(k).replace(/~/g, "~0").replace(/\//g, "~1");
  const describe = (e) => {
    const out = { name: "Error", message: "", stack: "", hermetic: null, thrown: "" };
    try {
      if (e !== null && (typeof e === "object" || typeof e === "function")) {
        try { out.hermetic = typeof e[HERMETIC] === "string" ? e[HERMETIC] : null; } catch {}
        try { out.name = String(e.name); } catch {}
        try { out.message = String(e.message); } catch {}
        try { out.stack = String(e.stack); } catch {}
        if (!(e instanceof Error)) { try { out.thrown = show(e); } catch {} }
      } else {
        out.thrown = show(e);
        out.name = "";
      }
    } catch {}
    return out;
  };
  const OP = Object.prototype;
  const toPlain = (root) => {
    const issues = [];
    const active = new Set();
    const what = (v) => {
      try {
        if (v instanceof RealDate) return "a Date (use a string, e.g. date.toISOString())";
        if (v instanceof Map) return "a Map (use a plain object, e.g. Object.fromEntries(map))";
        if (v instanceof Set) return "a Set (use an array, e.g. [...set])";
        if (v instanceof RegExp) return "a RegExp (use its .source string)";
        if (v instanceof Promise) return "a Promise (await it first)";
        const c = Object.getPrototypeOf(v).constructor;
        return "an instance of " + (typeof c === "function" && c.name ? c.name : "a class") + " (only plain objects and arrays are JSON)";
      } catch { return "not a plain object"; }
    };
    const conv = (v, path) => {
      const t = typeof v;
      if (v === null || t === "string" || t === "boolean") return v;
      if (t === "number") {
        if (!Number.isFinite(v)) { issues.push([path, String(v) + " (JSON has no NaN or Infinity)"]); return null; }
        return v;
      }
      if (t === "undefined") { issues.push([path, "undefined (arrays cannot hold undefined; use null or leave the element out)"]); return null; }
      if (t === "function") { issues.push([path, "a function"]); return null; }
      if (t === "symbol") { issues.push([path, "a symbol"]); return null; }
      if (t === "bigint") { issues.push([path, "a BigInt (" + String(v) + "n; use a number or a string)"]); return null; }
      if (active.has(v)) { issues.push([path, "a cycle (this value contains itself)"]); return null; }
      if (Array.isArray(v)) {
        active.add(v);
        const out = [];
        for (let i = 0; i < v.length; i++) {
          if (!(i in v)) { issues.push([path + "/" + i, "a hole in the array (undefined; use null)"]); out.push(null); continue; }
          out.push(conv(v[i], path + "/" + i));
        }
        active.delete(v);
        return out;
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== OP && proto !== null) { issues.push([path, what(v)]); return null; }
      active.add(v);
      const out = Object.create(null);
      for (const k of Object.keys(v)) {
        const x = v[k];
        if (x === undefined) continue; // an absent optional property, as in JSON.stringify
        out[k] = conv(x, path + "/" + esc(k));
      }
      active.delete(v);
      return out;
    };
    const plain = conv(root, "");
    return issues.length ? { issues } : { json: JSON.stringify(plain) };
  };
  const schemaOf = (v) => {
    if (v !== null && (typeof v === "object" || typeof v === "function")) return tags.get(v);
    for (let i = prims.length - 1; i >= 0; i--) if (Object.is(prims[i][1], v)) return prims[i][0];
    return undefined;
  };
  let pending = null;
  const finishValue = (v) => {
    const schema = schemaOf(v);
    if (schema === undefined) {
      let got;
      try { got = v === null ? "null" : Array.isArray(v) ? "an array" : typeof v === "object" ? "a plain object" : typeof v; } catch { got = "a value"; }
      return { status: "not-constructed", got, logs };
    }
    const r = toPlain(v);
    if (r.issues) return { status: "non-json", schema, issues: r.issues, logs };
    return { status: "ok", schema, json: r.json, logs };
  };
  const api = {
    describeThrow(e) { return JSON.stringify({ status: "throw", error: describe(e), logs }); },
    finish() {
      try {
        const m = g.__bale_module;
        if (m === null || typeof m !== "object" || !("default" in m)) return JSON.stringify({ status: "no-default", logs });
        const d = m.default;
        if (d !== null && (typeof d === "object" || typeof d === "function") && typeof d.then === "function") {
          pending = { state: "pending" };
          const p = pending;
          Promise.resolve(d).then((v) => { p.state = "ok"; p.value = v; }, (e) => { p.state = "err"; p.error = e; });
          return JSON.stringify({ status: "pending" });
        }
        return JSON.stringify(finishValue(d));
      } catch (e) { return api.describeThrow(e); }
    },
    collect() {
      try {
        if (!pending || pending.state === "pending") return JSON.stringify({ status: "never-settled", logs });
        if (pending.state === "err") return api.describeThrow(pending.error);
        return JSON.stringify(finishValue(pending.value));
      } catch (e) { return api.describeThrow(e); }
    },
    validate(input) {
      try {
        const f = g.__bale_module && g.__bale_module.default;
        if (typeof f !== "function") return JSON.stringify({ status: "bad-validator", got: typeof f });
        const r = f(JSON.parse(input));
        if (r === undefined || r === null) return JSON.stringify({ status: "ok", messages: [] });
        if (!Array.isArray(r) || !r.every((x) => typeof x === "string")) return JSON.stringify({ status: "bad-return", got: Array.isArray(r) ? "an array with non-strings" : typeof r });
        return JSON.stringify({ status: "ok", messages: r.slice() });
      } catch (e) { return api.describeThrow(e); }
    },
  };
  define(g, "${API_GLOBAL}", Object.freeze(api));
})();`;
