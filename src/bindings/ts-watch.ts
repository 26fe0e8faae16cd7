/**
 * TypeScript live loaders: `watchXConfig(source, onChange, onError)` per config schema, over
 * gen/ts/watch-runtime.ts (copied from src/bindings/runtime/watch-runtime.ts): loaders that follow a
 * config live, from a directory (polled) or from the fleet store in etcd (one watch stream per process
 * over etcd's v3 JSON gateway, however many configs it follows). Every update is validated like a load;
 * the last good value is kept on errors and persisted to a local file for processes that start while
 * etcd is unreachable. Keep the runtime's key layout in step with src/fleet/store.ts.
 */
import type { BindingsModel } from "./model.js";
import { Printer, TS_HEADER } from "./printer.js";
import { runtimeSource } from "./runtimes.js";
import type { TsNames } from "./ts.js";

/** Names exported by watch-runtime.ts (generated type names must not clash with them through index.ts). */
export const WATCH_RUNTIME_EXPORTS = ["DirSource", "EtcdSource", "WatchSource", "ConfigUpdate", "ConfigWatch", "followConfig"];

/** The extra files: watch-runtime.ts (fixed) and watchers.ts (one function per config schema). */
export function emitTsWatch(model: BindingsModel, names: TsNames): Map<string, string> {
  const files = new Map<string, string>();
  files.set("watch-runtime.ts", `${TS_HEADER}\n// Live config loaders: follow a config in a directory or in the fleet store (etcd).\n${runtimeSource("watch-runtime.ts")}`);
  const p = new Printer();
  p.line(TS_HEADER);
  p.line("// Typed live config loaders: every update is validated like a load; the last good value is kept on errors.");
  if (model.configSchemas.length) {
    p.line('import type * as T from "./types.js";');
    p.line(`import { ConfigError, ${model.configSchemas.map((c) => `parse${c}`).join(", ")} } from "./configs.js";`);
    p.line('import { followConfig, type ConfigUpdate, type ConfigWatch, type WatchSource } from "./watch-runtime.js";');
    p.blank();
    p.block("function toStderr(e: ConfigError): void {", () => p.line('process.stderr.write("config: " + e.message + "\\n");'));
  } else p.line("export {};");
  for (const c of model.configSchemas) {
    const tn = `T.${names.type(c)}`;
    p.blank();
    p.line(`/**`);
    p.line(` * Follows a compiled ${c} config in a directory or in etcd: onChange gets the first value and every valid change;`);
    p.line(` * an invalid or unreadable update goes to onError (default: stderr) and the last good value stays.`);
    p.line(` */`);
    p.block(`export function watch${c}(source: WatchSource, onChange: (value: ${tn}, update: ConfigUpdate) => void, onError: (e: ConfigError) => void = toStderr): ConfigWatch<${tn}> {`, () => {
      p.line(`return followConfig(source, parse${c}, onChange, onError);`);
    });
  }
  files.set("watchers.ts", p.toString());
  return files;
}
