/** Python bindings: stdlib-only dataclasses with validation, urllib clients, http.server servers, config loaders. */
import { FORMATS } from "./formats.js";
import type { Field, NamedType, Primitive, StructType, TypeModel, TypeNode } from "./ir.js";
import type { BindingsModel } from "./model.js";
import { PY_RESERVED, escape, pyDocText, pyRegexSource, pyString, sanitize, snakeCase } from "./names.js";
import { PY_HEADER, Printer } from "./printer.js";
import { runtimeSource } from "./runtimes.js";
import { PY_WATCH_EXPORTS, PY_WATCH_MODULES, emitPyWatch, pyWatcherName } from "./py-watch.js";

const RUNTIME_NAMES = ["ConnectError", "ValidationError", "ConfigError", "Unset", "UNSET", "T", "Route", "ServerLimits", "ConnectServer", ...PY_WATCH_EXPORTS];
const MODULES = new Set(["models", "configs", "runtime", "__init__", ...PY_WATCH_MODULES]);

interface PyNames {
  cls(name: string): string;
  field(owner: string, json: string): string;
  service(fullName: string): { client: string; impl: string; server: string; module: string };
  method(name: string): string;
  loader(name: string): string;
}

function planNames(model: BindingsModel, types: TypeModel): PyNames {
  const taken = new Set<string>(RUNTIME_NAMES);
  const svc = new Map<string, { client: string; impl: string; server: string; module: string }>();
  for (const s of model.services) {
    const n = {
      client: `${s.shortName}Client`,
      impl: `${s.shortName}Impl`,
      server: `${s.shortName}Server`,
      module: escape(snakeCase(s.shortName), MODULES),
    };
    svc.set(s.fullName, n);
    taken.add(n.client).add(n.impl).add(n.server);
  }
  const cls = new Map<string, string>();
  for (const t of types.types) {
    const n = escape(t.name, PY_RESERVED, taken);
    taken.add(n);
    cls.set(t.name, n);
  }
  const fields = new Map<string, string>();
  for (const t of types.types) {
    if (t.kind !== "struct") continue;
    const used = new Set<string>();
    for (const f of t.fields) {
      let n = escape(sanitize(snakeCase(f.name), "f_"), PY_RESERVED);
      if (/^_/.test(n)) n = "f" + n;
      let u = n;
      for (let i = 2; used.has(u); i++) u = `${n}_${i}`;
      used.add(u);
      fields.set(`${t.name}\u0000${f.name}`, u);
    }
  }
  return {
    cls: (name) => cls.get(name) ?? name,
    field: (owner, json) => fields.get(`${owner}\u0000${json}`) ?? json,
    service: (fullName) => svc.get(fullName) ?? { client: "", impl: "", server: "", module: "" },
    method: (name) => escape(snakeCase(name), PY_RESERVED),
    loader: (name) => `load_${snakeCase(name)}`,
  };
}

function pyLiteral(v: Primitive): string {
  if (v === null) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "string") return pyString(v);
  return pyNumber(v);
}

function pyNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 2 ** 53) return String(n);
  const s = String(n);
  return /[.eE]/.test(s) ? s : s + ".0";
}

function pyType(t: TypeNode, names: PyNames): string {
  switch (t.kind) {
    case "string":
      return "str";
    case "integer":
      return "int";
    case "number":
      return "float";
    case "boolean":
      return "bool";
    case "null":
      return "None";
    case "any":
      return "object";
    case "literal": {
      const lits = t.values.filter((v) => v !== null);
      const hasNull = lits.length !== t.values.length;
      if (lits.length === 0) return "None";
      return `typing.Literal[${lits.map(pyLiteral).join(", ")}]${hasNull ? " | None" : ""}`;
    }
    case "array":
      return `list[${pyType(t.items, names)}]`;
    case "map":
      return `dict[str, ${pyType(t.values, names)}]`;
    case "ref":
      return names.cls(t.name);
    case "nullable":
      return `${pyType(t.inner, names)} | None`;
  }
}

function docstring(p: Printer, text: string | undefined): void {
  if (text === undefined || text === "") return;
  const lines = pyDocText(text).split("\n");
  if (lines.length === 1) p.line(`"""${lines[0]}"""`);
  else {
    p.line(`"""${lines[0]}`);
    for (const l of lines.slice(1)) p.line(l);
    p.line('"""');
  }
}

/** Emits models.py: dataclasses, aliases and their parse/dump functions. */
class ModelsEmitter {
  readonly #p = new Printer("    ", "");
  /** Helper functions, emitted after the classes. */
  readonly #helpers = new Printer("    ", "");
  readonly #constants: string[] = [];
  readonly #regexes = new Map<string, string>();
  readonly #fnames = new Set<string>();
  readonly #types: TypeModel;
  readonly #names: PyNames;

  constructor(types: TypeModel, names: PyNames) {
    this.#types = types;
    this.#names = names;
  }

  #regex(source: string): string {
    let n = this.#regexes.get(source);
    if (n === undefined) {
      n = `_RE_${this.#regexes.size}`;
      this.#regexes.set(source, n);
      this.#constants.push(`${n} = re.compile(${pyString(pyRegexSource(source))}, re.ASCII)`);
    }
    return n;
  }

  /** Name of a function `(v: object, path: str) -> T` that parses and validates `t`. */
  parser(t: TypeNode, wanted: string): string {
    let fname = wanted;
    for (let i = 2; this.#fnames.has(fname); i++) fname = `${wanted}_${i}`;
    this.#fnames.add(fname);
    const h = this.#helpers;
    const names = this.#names;
    const ty = pyType(t, names);
    switch (t.kind) {
      case "any":
        return "_rt.expect_any";
      case "null":
        return "_rt.expect_null";
      case "boolean":
        return "_rt.expect_bool";
      case "ref": {
        const target = this.#types.byName.get(t.name);
        return target?.kind === "struct" ? `${names.cls(t.name)}.from_dict` : `parse_${snakeCase(t.name)}`;
      }
      case "string": {
        const r = t.rules;
        const fmt = r.format !== undefined ? FORMATS[r.format] : undefined;
        if (r.minLength === undefined && r.maxLength === undefined && r.pattern === undefined && fmt === undefined) return "_rt.expect_str";
        const pat = r.pattern !== undefined ? this.#regex(r.pattern) : undefined;
        const fre = fmt !== undefined ? this.#regex(fmt) : undefined;
        h.blank(2);
        h.block(`def ${fname}(v: object, path: str) -> str:`, () => {
          h.line("s = _rt.expect_str(v, path)");
          if (r.minLength !== undefined || r.maxLength !== undefined) h.line(`_rt.check_length(s, ${r.minLength ?? "None"}, ${r.maxLength ?? "None"}, path)`);
          if (pat !== undefined) h.line(`_rt.check_pattern(s, ${pat}, path)`);
          if (fre !== undefined && r.format !== undefined) h.line(`_rt.check_format(s, ${fre}, ${pyString(r.format)}, path)`);
          h.line("return s");
        }, "");
        return fname;
      }
      case "integer":
      case "number": {
        const r = t.rules;
        const base = t.kind === "integer" ? "_rt.expect_int" : "_rt.expect_number";
        const args: string[] = [];
        if (r.minimum !== undefined) args.push(`minimum=${pyNumber(r.minimum)}`);
        if (r.maximum !== undefined) args.push(`maximum=${pyNumber(r.maximum)}`);
        if (r.exclusiveMinimum !== undefined) args.push(`exclusive_minimum=${pyNumber(r.exclusiveMinimum)}`);
        if (r.exclusiveMaximum !== undefined) args.push(`exclusive_maximum=${pyNumber(r.exclusiveMaximum)}`);
        if (r.multipleOf !== undefined) args.push(`multiple_of=${pyNumber(r.multipleOf)}`);
        if (args.length === 0) return base;
        h.blank(2);
        h.block(`def ${fname}(v: object, path: str) -> ${ty}:`, () => {
          h.line(`x = ${base}(v, path)`);
          h.line(`_rt.check_range(x, path, ${args.join(", ")})`);
          h.line("return x");
        }, "");
        return fname;
      }
      case "literal": {
        h.blank(2);
        h.block(`def ${fname}(v: object, path: str) -> ${ty}:`, () => {
          for (const v of t.values) {
            if (v === null) h.line("if v is None:");
            else if (typeof v === "boolean") h.line(`if v is ${v ? "True" : "False"}:`);
            else if (typeof v === "string") h.line(`if isinstance(v, str) and v == ${pyString(v)}:`);
            else h.line(`if _rt.is_number_equal(v, ${pyNumber(v)}):`);
            h.indent(() => h.line(`return ${pyLiteral(v)}`));
          }
          h.line(`raise _rt.ValidationError(path, "must be equal to one of the allowed values")`);
        }, "");
        return fname;
      }
      case "nullable": {
        const inner = this.parser(t.inner, `${fname}_inner`);
        h.blank(2);
        h.block(`def ${fname}(v: object, path: str) -> ${ty}:`, () => {
          h.line("if v is None:");
          h.indent(() => h.line("return None"));
          h.line(`return ${inner}(v, path)`);
        }, "");
        return fname;
      }
      case "array": {
        const item = this.parser(t.items, `${fname}_item`);
        const r = t.rules;
        h.blank(2);
        h.block(`def ${fname}(v: object, path: str) -> ${ty}:`, () => {
          h.line("xs = _rt.expect_list(v, path)");
          if (r.minItems !== undefined || r.maxItems !== undefined || r.uniqueItems) {
            h.line(`_rt.check_items(xs, ${r.minItems ?? "None"}, ${r.maxItems ?? "None"}, ${r.uniqueItems ? "True" : "False"}, path)`);
          }
          h.line(`return [${item}(x, _rt.join(path, i)) for i, x in enumerate(xs)]`);
        }, "");
        return fname;
      }
      case "map": {
        const val = this.parser(t.values, `${fname}_value`);
        const r = t.rules;
        h.blank(2);
        h.block(`def ${fname}(v: object, path: str) -> ${ty}:`, () => {
          h.line("d = _rt.expect_object(v, path)");
          if (r.minProperties !== undefined || r.maxProperties !== undefined) {
            h.line(`_rt.check_props(d, ${r.minProperties ?? "None"}, ${r.maxProperties ?? "None"}, path)`);
          }
          h.line(`return {k: ${val}(x, _rt.join(path, k)) for k, x in d.items()}`);
        }, "");
        return fname;
      }
    }
  }

  /** A Python expression turning `expr` (of type t) into JSON-ready data; depth names loop variables. */
  dump(t: TypeNode, expr: string, depth = 0): string {
    switch (t.kind) {
      case "ref": {
        const target = this.#types.byName.get(t.name);
        if (target?.kind === "struct") return `${expr}.to_dict()`;
        return target !== undefined && this.#needsDump(target.type) ? `dump_${snakeCase(t.name)}(${expr})` : expr;
      }
      case "nullable":
        return this.#needsDump(t.inner) ? `(None if ${expr} is None else ${this.dump(t.inner, expr, depth)})` : expr;
      case "array": {
        const x = `x${depth}`;
        return this.#needsDump(t.items) ? `[${this.dump(t.items, x, depth + 1)} for ${x} in ${expr}]` : `list(${expr})`;
      }
      case "map": {
        const x = `x${depth}`;
        const k = `k${depth}`;
        return this.#needsDump(t.values) ? `{${k}: ${this.dump(t.values, x, depth + 1)} for ${k}, ${x} in ${expr}.items()}` : `dict(${expr})`;
      }
      default:
        return expr;
    }
  }

  #needsDump(t: TypeNode, seen = new Set<string>()): boolean {
    switch (t.kind) {
      case "ref": {
        const target = this.#types.byName.get(t.name);
        if (target === undefined) return false;
        if (target.kind === "struct") return true;
        if (seen.has(t.name)) return false;
        seen.add(t.name);
        return this.#needsDump(target.type, seen);
      }
      case "nullable":
        return this.#needsDump(t.inner, seen);
      case "array":
        return true;
      case "map":
        return true;
      default:
        return false;
    }
  }

  #field(t: StructType, f: Field): { name: string; ann: string; unset: boolean; parse: string } {
    const names = this.#names;
    const name = names.field(t.name, f.name);
    const parse = this.parser(f.type, `_parse_${t.name}_${name}`);
    const ty = pyType(f.type, names);
    const nullableType = f.type.kind === "nullable" || f.type.kind === "null" || f.type.kind === "any" || (f.type.kind === "literal" && f.type.values.includes(null));
    if (f.required) return { name, ann: ty, unset: false, parse };
    if (nullableType) return { name, ann: `${ty.includes("None") || ty === "object" ? ty : ty + " | None"} | _rt.Unset`, unset: true, parse };
    return { name, ann: `${ty} | None`, unset: false, parse };
  }

  #struct(t: StructType): void {
    const p = this.#p;
    const names = this.#names;
    const cls = names.cls(t.name);
    const fields = t.fields.map((f) => ({ f, ...this.#field(t, f) }));
    if (t.closed) this.#constants.push(`_KEYS_${t.name}: frozenset[str] = ${t.fields.length ? `frozenset({${t.fields.map((f) => pyString(f.name)).join(", ")}})` : "frozenset()"}`);
    p.blank(2);
    p.line("@dataclasses.dataclass(kw_only=True)");
    p.block(`class ${cls}:`, () => {
      docstring(p, t.description ?? `The ${t.name} message (${t.origin}).`);
      p.blank();
      for (const x of fields) {
        const def = x.f.required ? "" : x.unset ? " = _rt.UNSET" : " = None";
        p.line(`${x.name}: ${x.ann}${def}`);
        if (x.f.description) docstring(p, x.f.description);
      }
      p.blank();
      p.line("@classmethod");
      p.block(`def from_dict(cls, data: object, path: str = "") -> ${cls}:`, () => {
        p.line('"""Validates JSON data (as from json.loads) and builds the dataclass; raises ValidationError."""');
        p.line(`d = _rt.expect_object(data, path)`);
        if (t.closed) p.line(`_rt.check_keys(d, _KEYS_${t.name}, path)`);
        if (t.rules.minProperties !== undefined || t.rules.maxProperties !== undefined) {
          p.line(`_rt.check_props(d, ${t.rules.minProperties ?? "None"}, ${t.rules.maxProperties ?? "None"}, path)`);
        }
        if (fields.length === 0) {
          p.line("return cls()");
          return;
        }
        p.block("return cls(", () => {
          for (const x of fields) {
            const key = pyString(x.f.name);
            const sub = `_rt.join(path, ${key})`;
            if (x.f.required) p.line(`${x.name}=${x.parse}(_rt.required(d, ${key}, path), ${sub}),`);
            else p.line(`${x.name}=${x.unset ? "_rt.UNSET" : "None"} if ${key} not in d else ${x.parse}(d[${key}], ${sub}),`);
          }
        }, ")");
      });
      p.blank();
      p.block("def to_dict(self) -> dict[str, object]:", () => {
        p.line('"""The JSON form (absent optional fields are left out)."""');
        p.line("out: dict[str, object] = {}");
        for (const x of fields) {
          const key = pyString(x.f.name);
          const v = `self.${x.name}`;
          if (x.f.required) p.line(`out[${key}] = ${this.dump(x.f.type, v)}`);
          else if (x.unset) {
            p.line(`if not isinstance(${v}, _rt.Unset):`);
            p.indent(() => p.line(`out[${key}] = ${this.dump(x.f.type, v)}`));
          } else {
            p.line(`if ${v} is not None:`);
            p.indent(() => p.line(`out[${key}] = ${this.dump(x.f.type, v)}`));
          }
        }
        p.line("return out");
      });
    });
  }

  #alias(t: Extract<NamedType, { kind: "alias" }>): void {
    const p = this.#p;
    const cls = this.#names.cls(t.name);
    p.blank(2);
    p.line(`${cls}: typing.TypeAlias = ${pyString(pyType(t.type, this.#names))}`);
    if (t.description) docstring(p, t.description);
    const inner = this.parser(t.type, `_parse_${t.name}_value`);
    const h = this.#helpers;
    h.blank(2);
    h.block(`def parse_${snakeCase(t.name)}(v: object, path: str = "") -> ${cls}:`, () => h.line(`return ${inner}(v, path)`), "");
    if (this.#needsDump(t.type)) {
      h.blank(2);
      h.block(`def dump_${snakeCase(t.name)}(v: ${cls}) -> object:`, () => h.line(`return ${this.dump(t.type, "v")}`), "");
    }
  }

  emit(): string {
    for (const t of this.#types.types) {
      if (t.kind === "struct") this.#struct(t);
      else this.#alias(t);
    }
    const out = new Printer("    ", "");
    out.line(PY_HEADER);
    out.line('"""Message and config types: dataclasses that validate in from_dict()."""');
    out.blank();
    out.line("from __future__ import annotations");
    out.blank();
    out.line("import dataclasses");
    out.line("import re");
    out.line("import typing");
    out.blank();
    out.line("from . import runtime as _rt");
    out.blank();
    out.line("__all__ = [");
    out.indent(() => {
      const all: string[] = [];
      for (const t of this.#types.types) {
        all.push(this.#names.cls(t.name));
        if (t.kind === "alias") {
          all.push(`parse_${snakeCase(t.name)}`);
          if (this.#needsDump(t.type)) all.push(`dump_${snakeCase(t.name)}`);
        }
      }
      for (const n of all.sort()) out.line(`${pyString(n)},`);
    });
    out.line("]");
    if (this.#constants.length) out.blank();
    for (const c of this.#constants) out.line(c);
    out.blank(2);
    out.lines(this.#p.toString());
    out.blank(2);
    out.lines(this.#helpers.toString());
    // keep `re` used even when no pattern exists
    if (this.#regexes.size === 0) {
      out.blank(2);
      out.line("_ = re");
    }
    return out.toString();
  }
}

function emitConfigs(model: BindingsModel, types: TypeModel, names: PyNames): string {
  const p = new Printer("    ", "");
  p.line(PY_HEADER);
  p.line('"""Typed config loaders: read a compiled config (JSON) and validate it against its schema."""');
  p.blank();
  p.line("import os");
  p.blank();
  p.line("from . import runtime as _rt");
  const imports: string[] = [];
  for (const c of model.configSchemas) {
    const t = types.byName.get(c);
    imports.push(names.cls(c));
    if (t?.kind === "alias") imports.push(`parse_${snakeCase(c)}`);
  }
  if (imports.length) p.line(`from .models import ${[...new Set(imports)].sort().join(", ")}`);
  p.blank();
  p.line(`__all__ = [${model.configSchemas.map((c) => pyString(names.loader(c))).join(", ")}]`);
  for (const c of model.configSchemas) {
    const t = types.byName.get(c);
    const cls = names.cls(c);
    const parse = t?.kind === "struct" ? `${cls}.from_dict` : `parse_${snakeCase(c)}`;
    p.blank(2);
    p.block(`def ${names.loader(c)}(path: "str | os.PathLike[str]") -> ${cls}:`, () => {
      p.line(`"""Reads a compiled ${c} config (JSON) and validates it; raises ConfigError."""`);
      p.line(`return _rt.load_config(path, ${parse})`);
    });
  }
  return p.toString();
}

function emitService(model: BindingsModel, names: PyNames, fullName: string): string {
  const s = model.services.find((x) => x.fullName === fullName);
  if (!s) return "";
  const n = names.service(s.fullName);
  const p = new Printer("    ", "");
  const msgs = [...new Set(s.methods.flatMap((m) => [names.cls(m.input), names.cls(m.output)]))].sort();
  p.line(PY_HEADER);
  p.line(`"""${s.fullName}: client, implementation protocol and server (Connect unary JSON over HTTP)."""`);
  p.blank();
  p.line("import typing");
  p.blank();
  p.line("from . import runtime as _rt");
  p.line(`from .models import ${msgs.join(", ")}`);
  p.blank();
  p.line(`__all__ = [${[n.client, n.impl, n.server].map(pyString).join(", ")}]`);
  p.blank(2);
  p.block(`class ${n.client}:`, () => {
    docstring(p, s.description ?? `Client of ${s.fullName}.`);
    p.blank();
    p.block("def __init__(self, base_url: str, *, timeout: float = 30.0, headers: typing.Mapping[str, str] | None = None) -> None:", () => {
      p.line('"""base_url is where the server is, e.g. "http://127.0.0.1:8080"."""');
      p.line("self._base_url = base_url");
      p.line("self._timeout = timeout");
      p.line("self._headers: dict[str, str] = dict(headers or {})");
    });
    for (const m of s.methods) {
      const inp = names.cls(m.input);
      const outp = names.cls(m.output);
      p.blank();
      p.block(`def ${names.method(m.name)}(self, request: ${inp} | typing.Mapping[str, object]) -> ${outp}:`, () => {
        docstring(p, m.description ?? `Calls ${s.fullName}/${m.name}; raises ConnectError.`);
        p.line(`body: object = request.to_dict() if isinstance(request, ${inp}) else dict(request)`);
        p.line(`reply = _rt.unary_call(self._base_url, ${pyString(`${s.fullName}/${m.name}`)}, body, self._timeout, self._headers)`);
        p.line(`return _rt.parse_reply(${outp}.from_dict, reply)`);
      });
    }
  });
  p.blank(2);
  p.block(`class ${n.impl}(typing.Protocol):`, () => {
    p.line(`"""What a ${s.shortName} server implements. Raise ConnectError to answer with a specific code."""`);
    for (const m of s.methods) {
      p.blank();
      p.block(`def ${names.method(m.name)}(self, request: ${names.cls(m.input)}) -> ${names.cls(m.output)}:`, () => {
        docstring(p, m.description);
        p.line("...");
      }, "");
    }
  });
  p.blank(2);
  p.block(`class ${n.server}:`, () => {
    p.line(`"""Serves ${s.fullName} with http.server (one thread per connection, at most limits.max_threads)."""`);
    p.blank();
    p.block(`def __init__(self, impl: ${n.impl}) -> None:`, () => {
      p.line("self._impl = impl");
    });
    p.blank();
    p.block("def routes(self) -> dict[str, _rt.Route]:", () => {
      p.line('"""Handlers keyed by request path; combine several services by merging these."""');
      p.block("return {", () => {
        for (const m of s.methods) p.line(`${pyString(`/${s.fullName}/${m.name}`)}: self._${names.method(m.name)},`);
      }, "}");
    });
    p.blank();
    p.block('def bind(self, host: str = "127.0.0.1", port: int = 8080, limits: _rt.ServerLimits | None = None) -> _rt.ConnectServer:', () => {
      p.line('"""A bound server (port 0 picks a free port: read server.server_address); call serve_forever()."""');
      p.line("return _rt.make_server(host, port, self.routes(), limits)");
    });
    p.blank();
    p.block('def serve(self, host: str = "127.0.0.1", port: int = 8080, limits: _rt.ServerLimits | None = None) -> None:', () => {
      p.line('"""Binds and serves until interrupted."""');
      p.line("server = self.bind(host, port, limits)");
      p.block("try:", () => p.line("server.serve_forever()"), "");
      p.block("finally:", () => p.line("server.server_close()"), "");
    });
    for (const m of s.methods) {
      const meth = names.method(m.name);
      const outp = names.cls(m.output);
      p.blank();
      p.block(`def _${meth}(self, body: object) -> object:`, () => {
        p.line(`request = _rt.parse_request(${names.cls(m.input)}.from_dict, body)`);
        p.line(`reply = typing.cast(object, self._impl.${meth}(request))`);
        p.line(`if not isinstance(reply, ${outp}):`);
        p.indent(() => p.line(`raise _rt.ConnectError("internal", "${meth} returned " + type(reply).__name__ + ", not ${outp}")`));
        p.line(`return _rt.check_reply(${outp}.from_dict, reply.to_dict())`);
      });
    }
  });
  return p.toString();
}

export interface PythonOptions {
  packageName: string;
}

export function generatePython(model: BindingsModel, types: TypeModel, opts: PythonOptions): Map<string, string> {
  const names = planNames(model, types);
  const pkg = opts.packageName;
  const files = new Map<string, string>();
  files.set(`${pkg}/runtime.py`, `${PY_HEADER}\n${runtimeSource("runtime.py")}`);
  files.set(`${pkg}/models.py`, new ModelsEmitter(types, names).emit());
  files.set(`${pkg}/configs.py`, emitConfigs(model, types, names));
  const init = new Printer("    ", "");
  init.line(PY_HEADER);
  init.line('"""Bindings generated by bale: import messages, clients, servers and config loaders from here."""');
  init.blank();
  const exported: string[] = [];
  init.line("from .runtime import UNSET, ConfigError, ConnectError, ConnectServer, ServerLimits, Unset, ValidationError");
  exported.push("UNSET", "ConfigError", "ConnectError", "ConnectServer", "ServerLimits", "Unset", "ValidationError");
  const loaders = model.configSchemas.map((c) => names.loader(c));
  if (loaders.length) init.line(`from .configs import ${loaders.join(", ")}`);
  exported.push(...loaders);
  for (const [f, text] of emitPyWatch(model, types, (c) => names.cls(c))) files.set(`${pkg}/${f}`, text);
  init.line(`from .watch import ${PY_WATCH_EXPORTS.join(", ")}`);
  exported.push(...PY_WATCH_EXPORTS);
  const watchers = model.configSchemas.map(pyWatcherName);
  if (watchers.length) init.line(`from .watchers import ${watchers.join(", ")}`);
  exported.push(...watchers);
  const clsNames = types.types.map((t) => names.cls(t.name));
  if (clsNames.length) init.line(`from .models import ${[...clsNames].sort().join(", ")}`);
  exported.push(...clsNames);
  for (const s of model.services) {
    const n = names.service(s.fullName);
    files.set(`${pkg}/${n.module}.py`, emitService(model, names, s.fullName));
    init.line(`from .${n.module} import ${[n.client, n.impl, n.server].join(", ")}`);
    exported.push(n.client, n.impl, n.server);
  }
  init.blank();
  init.line("__all__ = [");
  init.indent(() => {
    for (const e of [...new Set(exported)].sort()) init.line(`${pyString(e)},`);
  });
  init.line("]");
  files.set(`${pkg}/__init__.py`, init.toString());
  return files;
}
