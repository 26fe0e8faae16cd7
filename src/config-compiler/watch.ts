/**
 * `bale config build --watch`: rebuilds (incrementally, with a warm worker pool) whenever a
 * file under the root changes, and reports each build to the caller.
 */
import { watch, type FSWatcher } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { BaleErrors } from "../errors.js";
import { build, DEFAULT_MEMORY_LIMIT_MB, type BuildReport, type CompileOptions } from "./build.js";
import { readProjectFile } from "./discover.js";
import { ENV_DTS } from "./env-dts.js";
import { WorkerPool } from "./pool.js";

export interface WatchOptions extends CompileOptions {
  /** Called after every build (the first one included). */
  onBuild?: (report: BuildReport) => void;
  /** Called when a build fails with user errors (the previous output stays). */
  onError?: (error: BaleErrors | Error) => void;
  /** Quiet period after the last change before rebuilding (default 40 ms). */
  debounceMs?: number;
}

export interface ConfigWatcher {
  /** Resolves after the first build (successful or not). */
  ready: Promise<void>;
  /** Resolves when the build in progress (if any) and any queued rebuild are done. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export function watchConfigs(o: WatchOptions = {}): ConfigWatcher {
  const root = resolve(o.root ?? ".");
  const out = resolve(o.out ?? join(root, "out"));
  let memoryLimitMb = o.memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB;
  try {
    memoryLimitMb = o.memoryLimitMb ?? readProjectFile(root).memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB;
  } catch {
    /* the first build reports it */
  }
  const pool = new WorkerPool({ memoryLimitMb, ...(o.workers !== undefined ? { size: o.workers } : {}) });
  const opts: CompileOptions = { ...o, root, out };
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const runOnce = async (): Promise<void> => {
    try {
      const r = await build(opts, { pool }, true);
      o.onBuild?.(r);
    } catch (e) {
      if (e instanceof BaleErrors) o.onError?.(e);
      else if (e instanceof Error && e.name === "BaleError") o.onError?.(new BaleErrors([e as never]));
      else o.onError?.(e as Error);
    }
  };
  const trigger = (): void => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        await runOnce();
      } while (again && !closed);
      running = undefined;
    })();
  };
  const outRel = relative(root, out);
  const ignored = (file: string | null): boolean => {
    if (!file) return false;
    const f = file.split("\\").join("/");
    const first = f.split("/")[0] ?? "";
    if (f === ENV_DTS || first === "node_modules" || first === ".git") return true;
    if (!outRel.startsWith("..") && (f === outRel || f.startsWith(outRel + "/"))) return true;
    // The temp trees of an output swap (siblings of <out>), wherever they are.
    return f.split("/").some((seg) => seg.startsWith(`.${basename(out)}.bale-`));
  };
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(root, { recursive: true }, (_event, file) => {
      if (ignored(typeof file === "string" ? file : null)) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(trigger, o.debounceMs ?? 40);
    });
  } catch (e) {
    void pool.close();
    throw e;
  }
  trigger();
  const ready = (running as unknown as Promise<void>) ?? Promise.resolve();
  return {
    ready,
    async idle() {
      while (running || timer) {
        if (running) await running;
        else await new Promise((r) => setTimeout(r, 10));
        if (timer && !running) {
          // A debounced rebuild is pending.
          await new Promise((r) => setTimeout(r, (o.debounceMs ?? 40) + 5));
          if (!running) break;
        }
      }
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      watcher?.close();
      if (running) await running;
      await pool.close();
    },
  };
}
