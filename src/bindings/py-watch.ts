/**
 * Python live loaders: `watch_x_config(source, on_change, on_error)` per config schema, over `<pkg>/watch.py`
 * (copied from src/bindings/runtime/watch.py): standard library only (http.client against etcd's v3 JSON
 * gateway, one watch stream per process and prefix, shared by every config followed under it). It mirrors
 * runtime/watch-runtime.ts; keep the two (and src/fleet/store.ts) in step.
 */
import type { TypeModel } from "./ir.js";
import type { BindingsModel } from "./model.js";
import { pyString, snakeCase } from "./names.js";
import { PY_HEADER, Printer } from "./printer.js";
import { runtimeSource } from "./runtimes.js";

/** Class names watch.py exports through __init__ (generated class names must not clash with them). */
export const PY_WATCH_EXPORTS = ["ConfigUpdate", "ConfigWatch", "DirSource", "EtcdSource"];
/** Module names the watch files take (a service module must not be called so). */
export const PY_WATCH_MODULES = ["watch", "watchers"];

export const pyWatcherName = (schema: string): string => `watch_${snakeCase(schema)}`;

/** The extra files (relative to the package folder): watch.py (fixed) and watchers.py (one function per config schema). */
export function emitPyWatch(model: BindingsModel, types: TypeModel, cls: (name: string) => string): Map<string, string> {
  const files = new Map<string, string>();
  files.set("watch.py", `${PY_HEADER}\n${runtimeSource("watch.py")}`);
  const p = new Printer("    ", "");
  p.line(PY_HEADER);
  p.line('"""Typed live config loaders: every update is validated like a load; the last good value is kept on errors."""');
  p.blank();
  p.line("from __future__ import annotations");
  p.blank();
  p.line("import sys");
  p.line("import typing");
  p.blank();
  p.line("from . import watch as _w");
  const imports: string[] = [];
  for (const c of model.configSchemas) {
    imports.push(cls(c));
    if (types.byName.get(c)?.kind === "alias") imports.push(`parse_${snakeCase(c)}`);
  }
  if (imports.length) p.line(`from .models import ${[...new Set(imports)].sort().join(", ")}`);
  p.line("from .runtime import ConfigError");
  p.blank();
  p.line(`__all__ = [${model.configSchemas.map((c) => pyString(pyWatcherName(c))).join(", ")}]`);
  p.blank(2);
  p.block("def _to_stderr(e: ConfigError) -> None:", () => p.line('sys.stderr.write("config: " + str(e) + "\\n")'));
  for (const c of model.configSchemas) {
    const k = cls(c);
    const parse = types.byName.get(c)?.kind === "struct" ? `${k}.from_dict` : `parse_${snakeCase(c)}`;
    p.blank(2);
    p.block(
      `def ${pyWatcherName(c)}(source: "_w.DirSource | _w.EtcdSource", on_change: typing.Callable[[${k}, _w.ConfigUpdate], None], on_error: typing.Callable[[ConfigError], None] = _to_stderr) -> _w.ConfigWatch[${k}]:`,
      () => {
        p.line(`"""Follows a compiled ${c} config in a directory or in etcd.`);
        p.blank();
        p.line("on_change gets the first value and every valid change (on a background thread); an invalid or");
        p.line('unreadable update goes to on_error (default: stderr) and the last good value stays."""');
        p.line(`return _w.follow_config(source, ${parse}, on_change, on_error, ${pyString(c)})`);
      },
    );
  }
  files.set("watchers.py", p.toString());
  return files;
}
