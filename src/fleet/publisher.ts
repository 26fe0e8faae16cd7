/**
 * `bale config publish --watch`: a long-running publisher. It keeps the compiler warm (worker pool,
 * esbuild, the stat signatures of every input) and one etcd connection, and publishes each successful
 * rebuild through the same guarded swap as `publishConfigs`: all-or-nothing, and refused when another
 * publisher swapped the pointer since it was read (the next change publishes on top of the new state).
 * The publish runs before `<out>` is replaced, so `<out>` holds the last build that was published: a
 * failed publish fails the build, `<out>` keeps its previous tree, and the next change tries again.
 */
import type { BuildReport, BuildSession } from "../config-compiler/build.js";
import { watchBuilds, type ConfigWatcher } from "../config-compiler/watch.js";
import type { BaleErrors } from "../errors.js";
import { validateOptions } from "../options.js";
import { EtcdUnreachable } from "./etcd.js";
import { publishTarget, publishWith, setup, type FleetOptions, type PublishOptions, type PublishResult } from "./index.js";
import { unreachable } from "./store.js";

export interface PublishWatchOptions extends FleetOptions {
  /** Compiled output dir (default `<root>/out`). */
  out?: string;
  /** Publish to this canary only (see PublishOptions.canary). */
  canary?: string;
  /** Recorded in history as who published (default user@host). */
  by?: string;
  /** Quiet period after the last file change before rebuilding (default 20 ms). */
  debounceMs?: number;
  /** Progress of each publish, as in PublishOptions.onProgress ("swap" is awaited before the swap is sent). */
  onProgress?: NonNullable<PublishOptions["onProgress"]>;
  /** After every build (the first one included). */
  onBuild?: (report: BuildReport) => void;
  /** After every publish of a build, `published: false` when the store already held that manifest. */
  onPublish?: (result: PublishResult) => void;
  /** A build that failed (nothing is published; the store keeps what it had), or a publish that failed (a conflict, etcd unreachable). The publisher keeps watching. */
  onError?: (error: BaleErrors | Error) => void;
}

/**
 * A save is usually several events within a millisecond (truncate and write, or write a temp and
 * rename), and a `git checkout` writes its files back to back; 20 ms of quiet covers both.
 */
const PUBLISH_DEBOUNCE_MS = 20;

/** Builds and publishes now, then again after every change under the root, until closed. */
export function watchPublish(o: PublishWatchOptions): ConfigWatcher {
  validateOptions("watchPublish", o);
  const where = publishTarget(o);
  const { client, prefix, endpoints } = setup({ ...o, root: where.root });
  const publish = async (session: BuildSession): Promise<void> => {
    let r: PublishResult;
    try {
      r = await publishWith(client, prefix, where, o, performance.now(), async () => undefined, session);
    } catch (e) {
      throw e instanceof EtcdUnreachable ? unreachable(e, endpoints) : e;
    }
    o.onPublish?.(r);
  };
  let w: ConfigWatcher;
  try {
    w = watchBuilds(
      {
        root: where.root,
        out: where.out,
        debounceMs: o.debounceMs ?? PUBLISH_DEBOUNCE_MS,
        ...(o.onBuild ? { onBuild: o.onBuild } : {}),
        ...(o.onError ? { onError: o.onError } : {}),
      },
      publish,
    );
  } catch (e) {
    client.close();
    throw e;
  }
  return {
    ready: w.ready,
    idle: () => w.idle(),
    close: async () => {
      await w.close();
      client.close();
    },
  };
}
