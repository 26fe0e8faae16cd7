/**
 * The code that runs inside every fresh vm context before a script: it replaces the
 * non-deterministic APIs (clock, randomness, default locale and time zone), bounds ArrayBuffer
 * allocation, installs the schema-constructor hook and a console that only records (within
 * bounds), and exposes `__bale_api__` (made inside the context, so no host object ever becomes
 * reachable from user code). The context is created without a host-side global object
 * (vm.constants.DONT_CONTEXTIFY), and the host hands nothing but primitives in: it talks to
 * this code only by running small scripts with a timeout and reading back strings. Everything
 * the harness uses after a script has run was captured before it ran, so a script that
 * replaces globals or prototype methods cannot change what the harness does.
 */
export const API_GLOBAL = "__bale_api__";

export const PRELUDE = String.raw`(function () {
  "use strict";
  const g = globalThis;
  // Intrinsics, captured before any script runs: the harness below never looks anything up on a
  // global or a prototype a script can reach, so a script that replaces JSON.stringify, Array
  // methods, Promise.prototype.then or adds setters to Object.prototype cannot break it.
  const ReflectApply = Reflect.apply;
  const ReflectConstruct = Reflect.construct;
  const uncurry = (f) => ReflectApply(Function.prototype.bind, Function.prototype.call, [f]);
  const ObjectKeys = Object.keys;
  const ObjectGetPrototypeOf = Object.getPrototypeOf;
  const ObjectSetPrototypeOf = Object.setPrototypeOf;
  const ObjectDefineProperty = Object.defineProperty;
  const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
  const ObjectFreeze = Object.freeze;
  const ObjectIs = Object.is;
  const OP = Object.prototype;
  const isPrototypeOf = uncurry(OP.isPrototypeOf);
  const ArrayIsArray = Array.isArray;
  const NumberIsFinite = Number.isFinite;
  const MathMin = Math.min;
  const JSONStringify = JSON.stringify;
  const JSONParse = JSON.parse;
  const StringOf = String;
  const StringSlice = uncurry(String.prototype.slice);
  const ObjectCtor = Object;
  const RealError = Error;
  const RealRangeError = RangeError;
  const WeakMapGet = uncurry(WeakMap.prototype.get);
  const WeakMapSet = uncurry(WeakMap.prototype.set);
  const SetHas = uncurry(Set.prototype.has);
  const SetAdd = uncurry(Set.prototype.add);
  const SetDelete = uncurry(Set.prototype.delete);
  const RealSet = Set;
  const RealWeakMap = WeakMap;
  const RealPromise = Promise;
  const PromiseResolve = Promise.resolve;
  const PromiseThen = uncurry(Promise.prototype.then);
  const protos = { __proto__: null, Date: g.Date.prototype, Map: Map.prototype, Set: Set.prototype, RegExp: RegExp.prototype, Promise: Promise.prototype };
  /** An array without a prototype: appending to it cannot hit a setter a script put on Array.prototype. */
  const list = () => ObjectSetPrototypeOf([], null);
  const add = (a, v) => { a[a.length] = v; };
  const define = (o, k, v) => ObjectDefineProperty(o, k, { __proto__: null, value: v, writable: false, enumerable: false, configurable: false });
  const replace = (o, k, v) => ObjectDefineProperty(o, k, { __proto__: null, value: v, writable: true, enumerable: false, configurable: true });

  // Handed in by the worker (primitives only) and removed before any script runs.
  const MAX_AB = g.__bale_ab_limit;
  delete g.__bale_ab_limit;

  const HERMETIC = Symbol("bale.hermetic");
  const forbid = (api, why) => {
    const e = new RealError(api + " is not available in config scripts: " + why);
    e[HERMETIC] = api;
    throw e;
  };
  const CLOCK = "it reads the clock; pass a fixed timestamp, e.g. new Date(\"2024-01-01T00:00:00Z\")";
  const RealDate = g.Date;
  const Date = function Date(...args) {
    if (!new.target) forbid("Date()", CLOCK);
    if (args.length === 0) forbid("new Date()", CLOCK);
    return ReflectConstruct(RealDate, args, new.target);
  };
  Date.prototype = RealDate.prototype;
  replace(RealDate.prototype, "constructor", Date);
  define(Date, "UTC", RealDate.UTC);
  define(Date, "parse", RealDate.parse);
  define(Date, "now", function now() { return forbid("Date.now()", "it reads the clock; configs must evaluate to the same value every time"); });
  define(g, "Date", Date);
  // A script's own Error.prepareStackTrace would format (or hide) the stacks bale maps back to
  // source lines, and its CallSites are the only objects that describe bale's own frames.
  const noStackHook = () => forbid("Error.prepareStackTrace", "bale reads stack traces to point at your source lines; remove the hook");
  ObjectDefineProperty(RealError, "prepareStackTrace", { __proto__: null, get: () => undefined, set: noStackHook, enumerable: false, configurable: false });
  define(g, "Error", RealError);
  define(g.Math, "random", function random() { return forbid("Math.random()", "configs must evaluate to the same value every time; derive values from your inputs"); });
  ObjectFreeze(g.Math);

  // Intl: formatting without a date reads the clock; a missing locale or time zone would be the
  // build machine's. Both default to fixed values ("en-US", "UTC") unless the script names them.
  const withDefaults = (options) => {
    const o = { __proto__: null };
    if (options !== undefined && options !== null) {
      const src = ObjectCtor(options);
      const keys = ObjectKeys(src);
      for (let i = 0; i < keys.length; i++) o[keys[i]] = src[keys[i]];
    }
    if (o.timeZone === undefined) o.timeZone = "UTC";
    return o;
  };
  const fixedLocale = (locales) => (locales === undefined ? "en-US" : locales);
  const RealDTF = Intl.DateTimeFormat;
  const DTFFormat = ObjectGetOwnPropertyDescriptor(RealDTF.prototype, "format").get;
  const DTFFormatToParts = RealDTF.prototype.formatToParts;
  const DateTimeFormat = function DateTimeFormat(locales, options) {
    return ReflectConstruct(RealDTF, [fixedLocale(locales), withDefaults(options)], new.target || DateTimeFormat);
  };
  DateTimeFormat.prototype = RealDTF.prototype;
  define(DateTimeFormat, "supportedLocalesOf", RealDTF.supportedLocalesOf);
  replace(RealDTF.prototype, "constructor", DateTimeFormat);
  ObjectDefineProperty(RealDTF.prototype, "format", {
    __proto__: null, configurable: true, enumerable: false,
    get: function format() {
      const f = ReflectApply(DTFFormat, this, []);
      return function (date) {
        if (date === undefined) forbid("Intl.DateTimeFormat().format()", "without a date it formats the current time; pass a fixed date");
        return f(date);
      };
    },
  });
  replace(RealDTF.prototype, "formatToParts", function formatToParts(date) {
    if (date === undefined) forbid("Intl.DateTimeFormat().formatToParts()", "without a date it formats the current time; pass a fixed date");
    return ReflectApply(DTFFormatToParts, this, [date]);
  });
  define(Intl, "DateTimeFormat", DateTimeFormat);
  for (const name of ["toLocaleString", "toLocaleDateString", "toLocaleTimeString"]) {
    const real = RealDate.prototype[name];
    replace(RealDate.prototype, name, { [name](locales, options) { return ReflectApply(real, this, [fixedLocale(locales), withDefaults(options)]); } }[name]);
  }
  // GC-timing dependent, hence non-deterministic; WebAssembly cannot compile here (code generation
  // for it is off) and its Memory would be unbounded.
  delete g.WeakRef;
  delete g.FinalizationRegistry;
  delete g.WebAssembly;

  // ArrayBuffer memory lives outside the JS heap, so the worker's heap limit does not bound it:
  // every way a script can allocate one goes through charge(), which refuses past the limit.
  let memoryError = null;
  let charged = 0;
  const charge = (bytes) => {
    if (typeof MAX_AB !== "number") return;
    const n = typeof bytes === "number" && bytes > 0 ? bytes : 0;
    charged += n;
    if (memoryError === null && charged <= MAX_AB) return;
    const e = new RealRangeError("ArrayBuffer memory over the limit: " + StringOf(charged) + " bytes");
    if (memoryError === null) memoryError = e;
    throw e;
  };
  const wrapBuffer = (Real, sizeOf) => {
    const W = function (...args) {
      if (!new.target) return ReflectApply(Real, undefined, args); // throws: constructor without new
      charge(sizeOf(args));
      return ReflectConstruct(Real, args, new.target === W ? Real : new.target);
    };
    ObjectDefineProperty(W, "name", { __proto__: null, value: Real.name });
    W.prototype = Real.prototype;
    ObjectSetPrototypeOf(W, ObjectGetPrototypeOf(Real));
    replace(Real.prototype, "constructor", W);
    for (const k of ["isView"]) if (typeof Real[k] === "function") define(W, k, Real[k]);
    replace(g, Real.name, W);
    return W;
  };
  const bufferSize = (args) => {
    const len = +args[0] || 0;
    const o = args[1];
    let max = 0;
    try { if (o !== null && typeof o === "object" && o.maxByteLength !== undefined) max = +o.maxByteLength || 0; } catch {}
    return len > max ? len : max;
  };
  const RealAB = ArrayBuffer;
  const RealSAB = typeof SharedArrayBuffer === "function" ? SharedArrayBuffer : null;
  const isBuffer = (x) => x !== null && typeof x === "object" && (isPrototypeOf(RealAB.prototype, x) || (RealSAB !== null && isPrototypeOf(RealSAB.prototype, x)));
  wrapBuffer(RealAB, bufferSize);
  if (RealSAB) wrapBuffer(RealSAB, bufferSize);
  for (const [proto, method] of [[RealAB.prototype, "resize"], [RealSAB && RealSAB.prototype, "grow"]]) {
    if (!proto || typeof proto[method] !== "function") continue;
    const real = proto[method];
    replace(proto, method, { [method](n) { const before = this.byteLength; charge((+n || 0) - before); return ReflectApply(real, this, [n]); } }[method]);
  }
  for (const method of ["slice", "transfer", "transferToFixedLength"]) {
    const real = RealAB.prototype[method];
    if (typeof real !== "function") continue;
    replace(RealAB.prototype, method, { [method](...args) { const r = ReflectApply(real, this, args); charge(r.byteLength); return r; } }[method]);
  }
  const TypedArrays = ["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "Float16Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"];
  for (const name of TypedArrays) {
    const Real = g[name];
    if (typeof Real !== "function") continue;
    const bpe = Real.BYTES_PER_ELEMENT;
    wrapBuffer(Real, (args) => {
      const a = args[0];
      if (a === null || typeof a !== "object") return (+a || 0) * bpe;
      if (isBuffer(a)) return 0; // a view on an existing buffer
      let n = 0;
      try { n = +a.length || 0; } catch {}
      return n * bpe;
    });
    define(g[name], "BYTES_PER_ELEMENT", bpe);
  }
  const TypedArrayProto = ObjectGetPrototypeOf(Uint8Array.prototype);
  for (const method of ["toReversed", "toSorted", "with"]) {
    const real = TypedArrayProto[method];
    if (typeof real !== "function") continue;
    replace(TypedArrayProto, method, { [method](...args) { charge(this.byteLength); return ReflectApply(real, this, args); } }[method]);
  }

  const tags = new RealWeakMap();
  const prims = list();
  define(g, "__bale_tag__", function (name, value) {
    if (value !== null && (typeof value === "object" || typeof value === "function")) WeakMapSet(tags, value, name);
    else add(prims, [name, value]);
    return value;
  });

  // console only records, within bounds: at most 1000 calls and 1 MB of text per script.
  const MAX_LOG_CALLS = 1000;
  const MAX_LOG_CHARS = 1 << 20;
  const MAX_LINE_CHARS = 16384;
  const logs = list();
  let logChars = 0;
  let dropped = 0;
  // A slice of a huge string keeps the whole string alive: the round trip makes a real copy.
  const clip = (s) => (s.length > MAX_LINE_CHARS ? JSONParse(JSONStringify(StringSlice(s, 0, MAX_LINE_CHARS))) + "… (" + StringOf(s.length - MAX_LINE_CHARS) + " more characters)" : s);
  const show = (v) => {
    if (typeof v === "string") return clip(v);
    try { const s = JSONStringify(v); return clip(s === undefined ? StringOf(v) : s); } catch { try { return clip(StringOf(v)); } catch { return "[value]"; } }
  };
  const log = (level) => function (...args) {
    if (logs.length >= MAX_LOG_CALLS || logChars >= MAX_LOG_CHARS) { dropped++; return; }
    let line = "";
    for (let i = 0; i < args.length && line.length <= MAX_LINE_CHARS; i++) line += (i ? " " : "") + show(args[i]);
    line = clip(line);
    logChars += line.length;
    add(logs, [level, line]);
  };
  define(g, "console", ObjectFreeze({ log: log("log"), info: log("info"), warn: log("warn"), error: log("error"), debug: log("debug") }));
  const allLogs = () => {
    if (dropped === 0) return logs;
    const out = list();
    for (let i = 0; i < logs.length; i++) add(out, logs[i]);
    add(out, ["warn", "(bale: " + StringOf(dropped) + " further console calls dropped: at most " + StringOf(MAX_LOG_CALLS) + " calls and " + StringOf(MAX_LOG_CHARS) + " characters are kept per script)"]);
    return out;
  };

  /** JSON text of the harness's own records (null-prototype objects, arrays, primitives). */
  const enc = (v) => {
    if (v === null || v === undefined) return "null";
    const t = typeof v;
    if (t === "string" || t === "boolean") return JSONStringify(v);
    if (t === "number") return NumberIsFinite(v) ? JSONStringify(v) : "null";
    if (ArrayIsArray(v)) {
      let s = "[";
      for (let i = 0; i < v.length; i++) s += (i ? "," : "") + enc(v[i]);
      return s + "]";
    }
    const keys = ObjectKeys(v);
    let s = "{";
    for (let i = 0; i < keys.length; i++) s += (i ? "," : "") + JSONStringify(keys[i]) + ":" + enc(v[keys[i]]);
    return s + "}";
  };

  const esc = (k) => {
    const s = StringOf(k);
    let out = "";
    for (let i = 0; i < s.length; i++) { const c = s[i]; out += c === "~" ? "~0" : c === "/" ? "~1" : c; }
    return out;
  };
  const describe = (e) => {
    const out = { __proto__: null, name: "Error", message: "", stack: "", hermetic: null, thrown: "" };
    try {
      if (e !== null && (typeof e === "object" || typeof e === "function")) {
        try { out.hermetic = typeof e[HERMETIC] === "string" ? e[HERMETIC] : null; } catch {}
        try { out.name = StringOf(e.name); } catch {}
        try { out.message = StringOf(e.message); } catch {}
        try { out.stack = StringOf(e.stack); } catch {}
        let isError = false;
        try { isError = isPrototypeOf(RealError.prototype, e); } catch {}
        if (!isError) { try { out.thrown = show(e); } catch {} }
      } else {
        out.thrown = show(e);
        out.name = "";
      }
    } catch {}
    return out;
  };
  // Values nested deeper than this are refused: canonical JSON indents by depth, so its size grows
  // with depth times size, and every consumer (ajv, bindings, loaders) would recurse that deep.
  const MAX_DEPTH = 1000;
  const toPlain = (root) => {
    const issues = list();
    const active = new RealSet();
    const what = (v) => {
      try {
        if (isPrototypeOf(protos.Date, v)) return "a Date (use a string, e.g. date.toISOString())";
        if (isPrototypeOf(protos.Map, v)) return "a Map (use a plain object, e.g. Object.fromEntries(map))";
        if (isPrototypeOf(protos.Set, v)) return "a Set (use an array, e.g. [...set])";
        if (isPrototypeOf(protos.RegExp, v)) return "a RegExp (use its .source string)";
        if (isPrototypeOf(protos.Promise, v)) return "a Promise (await it first)";
        const c = ObjectGetPrototypeOf(v).constructor;
        return "an instance of " + (typeof c === "function" && c.name ? StringOf(c.name) : "a class") + " (only plain objects and arrays are JSON)";
      } catch { return "not a plain object"; }
    };
    /** The first levels of a (deep) pointer: enough to find the place. */
    const shorten = (p) => {
      let n = 0;
      for (let i = 0; i < p.length; i++) if (p[i] === "/" && ++n > 8) return StringSlice(p, 0, i);
      return p;
    };
    const issue = (path, text) => { if (issues.length < 100) add(issues, [path, text]); };
    const conv = (v, path, depth) => {
      const t = typeof v;
      if (v === null || t === "string" || t === "boolean") return v;
      if (t === "number") {
        if (!NumberIsFinite(v)) { issue(path, StringOf(v) + " (JSON has no NaN or Infinity)"); return null; }
        return v;
      }
      if (t === "undefined") { issue(path, "undefined (arrays cannot hold undefined; use null or leave the element out)"); return null; }
      if (t === "function") { issue(path, "a function"); return null; }
      if (t === "symbol") { issue(path, "a symbol"); return null; }
      if (t === "bigint") { issue(path, "a BigInt (" + StringOf(v) + "n; use a number or a string)"); return null; }
      if (SetHas(active, v)) { issue(path, "a cycle (this value contains itself)"); return null; }
      if (depth >= MAX_DEPTH) { issue(shorten(path), "nested more than " + StringOf(MAX_DEPTH) + " levels deep below this point (flatten the structure)"); return null; }
      if (ArrayIsArray(v)) {
        SetAdd(active, v);
        const out = list();
        const n = v.length;
        for (let i = 0; i < n; i++) {
          if (!(i in v)) { issue(path + "/" + i, "a hole in the array (undefined; use null)"); add(out, null); continue; }
          add(out, conv(v[i], path + "/" + i, depth + 1));
        }
        SetDelete(active, v);
        return out;
      }
      const proto = ObjectGetPrototypeOf(v);
      if (proto !== OP && proto !== null) { issue(path, what(v)); return null; }
      SetAdd(active, v);
      const out = { __proto__: null };
      const keys = ObjectKeys(v);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i];
        const x = v[k];
        if (x === undefined) continue; // an absent optional property, as in JSON.stringify
        ObjectDefineProperty(out, k, { __proto__: null, value: conv(x, path + "/" + esc(k), depth + 1), writable: true, enumerable: true, configurable: true });
      }
      SetDelete(active, v);
      return out;
    };
    const plain = conv(root, "", 0);
    return issues.length ? { __proto__: null, issues } : { __proto__: null, json: enc(plain) };
  };
  const schemaOf = (v) => {
    if (v !== null && (typeof v === "object" || typeof v === "function")) return WeakMapGet(tags, v);
    for (let i = prims.length - 1; i >= 0; i--) if (ObjectIs(prims[i][1], v)) return prims[i][0];
    return undefined;
  };
  const memory = () => enc({ __proto__: null, status: "memory", error: describe(memoryError), logs: allLogs() });
  let pending = null;
  const finishValue = (v) => {
    const schema = schemaOf(v);
    if (schema === undefined) {
      let got;
      try { got = v === null ? "null" : ArrayIsArray(v) ? "an array" : typeof v === "object" ? "a plain object" : typeof v; } catch { got = "a value"; }
      return { __proto__: null, status: "not-constructed", got, logs: allLogs() };
    }
    const r = toPlain(v);
    if (r.issues) return { __proto__: null, status: "non-json", schema, issues: r.issues, logs: allLogs() };
    return { __proto__: null, status: "ok", schema, json: r.json, logs: allLogs() };
  };
  const api = {
    describeThrow(e) {
      if (memoryError !== null) return memory();
      return enc({ __proto__: null, status: "throw", error: describe(e), logs: allLogs() });
    },
    finish() {
      try {
        if (memoryError !== null) return memory();
        const m = g.__bale_module;
        if (m === null || typeof m !== "object" || !("default" in m)) return enc({ __proto__: null, status: "no-default", logs: allLogs() });
        const d = m.default;
        if (d !== null && (typeof d === "object" || typeof d === "function") && typeof d.then === "function") {
          pending = { __proto__: null, state: "pending" };
          const p = pending;
          PromiseThen(ReflectApply(PromiseResolve, RealPromise, [d]), (v) => { p.state = "ok"; p.value = v; }, (e) => { p.state = "err"; p.error = e; });
          return enc({ __proto__: null, status: "pending" });
        }
        return enc(finishValue(d));
      } catch (e) { return api.describeThrow(e); }
    },
    collect() {
      try {
        if (memoryError !== null) return memory();
        if (!pending || pending.state === "pending") return enc({ __proto__: null, status: "never-settled", logs: allLogs() });
        if (pending.state === "err") return api.describeThrow(pending.error);
        return enc(finishValue(pending.value));
      } catch (e) { return api.describeThrow(e); }
    },
    validate(input) {
      try {
        const f = g.__bale_module && g.__bale_module.default;
        if (typeof f !== "function") return enc({ __proto__: null, status: "bad-validator", got: typeof f });
        const r = f(JSONParse(input));
        if (memoryError !== null) return memory();
        if (r === undefined || r === null) return enc({ __proto__: null, status: "ok", messages: list() });
        if (!ArrayIsArray(r)) return enc({ __proto__: null, status: "bad-return", got: typeof r });
        const messages = list();
        const n = MathMin(r.length, 1000);
        for (let i = 0; i < n; i++) {
          const x = r[i];
          if (typeof x !== "string") return enc({ __proto__: null, status: "bad-return", got: "an array with non-strings" });
          add(messages, clip(x));
        }
        return enc({ __proto__: null, status: "ok", messages });
      } catch (e) { return api.describeThrow(e); }
    },
  };
  define(g, "${API_GLOBAL}", ObjectFreeze(api));
})();`;
