/**
 * `bale config build --watch`: rebuilds (incrementally, with a warm worker pool) whenever a
 * file under the root changes, and reports each build to the caller.
 */
import { readdirSync, statSync, watch, type FSWatcher } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { BaleErrors } from "../errors.js";
import { build, newPool, prepare, type BuildReport, type BuildSession, type CompileOptions } from "./build.js";
import { checkRoot, SKIP_DIRS } from "./discover.js";
import { ENV_DTS } from "./env-dts.js";
import { validateOptions } from "../options.js";

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
  validateOptions("watchConfigs", o);
  return watchBuilds(o);
}

/**
 * @internal The watch loop. `publish` runs in each build once it has succeeded, before `<out>` is replaced
 * (see BuildSession.beforeWrite and src/fleet/publisher.ts); what it throws fails that build (onError).
 */
export function watchBuilds(o: WatchOptions, publish?: (session: BuildSession) => Promise<void>): ConfigWatcher {
  // A root that is not a directory is the user's error (as in a build), found before anything is started.
  checkRoot(resolve(o.root ?? "."));
  // The pool is made once, with the limits of the project as it is now; each build prepares again
  // (bale.config.json may change while watching; a problem in it is each build's first error).
  const prepared = prepare(o);
  const { root, out } = prepared;
  const pool = newPool(prepared);
  const opts: CompileOptions = { ...o, root, out };
  let running: Promise<void> | undefined;
  // The parsed build cache, carried from build to build (see BuildSession.cacheMemo).
  const cacheMemo: NonNullable<BuildSession["cacheMemo"]> = {};
  let again = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const runOnce = async (): Promise<void> => {
    try {
      const session: BuildSession = { pool, cacheMemo };
      if (publish) session.beforeWrite = () => publish(session);
      const r = await build(prepare(opts), session, true);
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
  // Watch the root itself (not recursively) and each top-level directory that can hold inputs
  // (recursively). Directories bale never reads (out, gen, node_modules, dot-dirs) are not watched
  // at all: node's recursive watch on Linux walks every new directory, and each build's output swap
  // creates a whole new tree under <out>, which at thousands of configs kept the event loop busy
  // for seconds after every build.
  const outTop = outRel.startsWith("..") || outRel === "" ? null : (outRel.split(/[\\/]/)[0] ?? null);
  const skipTop = (name: string): boolean =>
    name.startsWith(".") || SKIP_DIRS.has(name) || name === outTop;
  const schedule = (rel: string | null): void => {
    if (ignored(rel)) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      trigger();
    }, o.debounceMs ?? 40);
  };
  const dirWatchers = new Map<string, FSWatcher>();
  const watchDir = (name: string): void => {
    if (closed || dirWatchers.has(name) || skipTop(name)) return;
    let w: FSWatcher;
    try {
      w = watch(join(root, name), { recursive: true }, (_event, file) => {
        schedule(typeof file === "string" ? `${name}/${file}` : null);
      });
    } catch {
      return; // gone already, or not a directory
    }
    w.on("error", () => {
      // The directory was removed: forget it (a new one of that name is picked up by the root watcher).
      w.close();
      dirWatchers.delete(name);
    });
    dirWatchers.set(name, w);
  };
  const isDir = (p: string): boolean => {
    try {
      return statSync(p).isDirectory();
    } catch {
      return false;
    }
  };
  let rootWatcher: FSWatcher | undefined;
  try {
    rootWatcher = watch(root, (_event, file) => {
      const name = typeof file === "string" ? file : null;
      if (name !== null && !skipTop(name)) {
        if (isDir(join(root, name))) watchDir(name);
        else {
          const w = dirWatchers.get(name);
          if (w) {
            w.close();
            dirWatchers.delete(name);
          }
        }
      }
      schedule(name);
    });
    for (const d of readdirSync(root, { withFileTypes: true })) if (d.isDirectory()) watchDir(d.name);
  } catch (e) {
    rootWatcher?.close();
    for (const w of dirWatchers.values()) w.close();
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
      rootWatcher?.close();
      for (const w of dirWatchers.values()) w.close();
      if (running) await running;
      await pool.close();
    },
  };
}
