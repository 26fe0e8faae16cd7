/** `bale config publish|status|history|rollback|promote`: the fleet half (etcd). Flags map 1:1 onto src/fleet options. */
import type { Argv, CommandModule } from "yargs";
import type { FleetOptions, PublishResult } from "../../fleet/index.js";
import { err, out, printJson, printScriptLogs, reportError, untilSignal } from "../output.js";

const lib = () => import("../../fleet/index.js");

interface CommonArgs {
  root: string;
  etcd: string;
  prefix?: string;
  json: boolean;
}

function common<T>(y: Argv<T>): Argv<T & CommonArgs> {
  return y
    .positional("root", { type: "string", default: ".", describe: "project root (names the default prefix)" })
    .option("etcd", { type: "string", demandOption: true, describe: "etcd client URLs, comma-separated (http://127.0.0.1:2379)" })
    .option("prefix", { type: "string", describe: 'key prefix in etcd (default "/bale/<basename of root>")' })
    .option("json", { type: "boolean", default: false, describe: "print the result as JSON" }) as never;
}

function fleetOptions(a: CommonArgs): FleetOptions {
  const o: FleetOptions = { etcd: a.etcd, root: a.root };
  if (a.prefix !== undefined) o.prefix = a.prefix;
  return o;
}

const short = (h: string | null): string => (h === null ? "(none)" : h.slice(0, 12));

function printResult(verb: string, r: PublishResult): void {
  if (!r.published) {
    out(`${r.prefix} ${r.target}: already at ${short(r.hash)} (revision ${r.revision}); nothing to publish`);
    return;
  }
  out(`${verb} ${r.prefix} ${r.target}: ${short(r.previousHash)} -> ${short(r.hash)} at revision ${r.revision}: ${r.added.length} added, ${r.changed.length} changed, ${r.removed.length} removed, ${r.unchanged} unchanged (${r.blobsWritten} blobs written) in ${Math.round(r.timings.totalMs)} ms`);
  for (const p of r.added) out(`  + ${p}`);
  for (const p of r.changed) out(`  ~ ${p}`);
  for (const p of r.removed) out(`  - ${p}`);
}

export interface PublishArgs extends CommonArgs {
  output?: string;
  build: boolean;
  canary?: string;
  watch?: boolean;
}

/** The publish command's work once its arguments are parsed (by yargs, or by the CLI's fast path: src/cli/fast.ts). */
export async function runPublish(a: PublishArgs): Promise<void> {
  if (a.watch) return watchPublishing(a);
  const { publishConfigs } = await lib();
  const o = { ...fleetOptions(a), build: a.build, ...(a.output !== undefined ? { out: a.output } : {}), ...(a.canary !== undefined ? { canary: a.canary } : {}) };
  const r = await publishConfigs({
    ...o,
    onProgress: (p) => {
      if (a.json) return;
      if (p.phase === "swap") err("bale: swapping the manifest");
      else err(`bale: wrote ${p.written}/${p.total} blobs`);
    },
  });
  if (a.json) printJson(r);
  else printResult("published", r);
}

/** `publish --watch`: publishes now and after every change, until SIGINT or SIGTERM (then exits 0). */
async function watchPublishing(a: PublishArgs): Promise<void> {
  const { watchPublish } = await import("../../fleet/publisher.js");
  let first = true;
  await untilSignal(() =>
    watchPublish({
      ...fleetOptions(a),
      ...(a.output !== undefined ? { out: a.output } : {}),
      ...(a.canary !== undefined ? { canary: a.canary } : {}),
      onBuild: (r) => printScriptLogs(r.logs),
      onPublish: (r) => {
        const show = first || r.published;
        first = false;
        if (!show) return;
        if (a.json) process.stdout.write(`${JSON.stringify(r)}\n`);
        else printResult("published", r);
      },
      onError: (e) => {
        reportError(e);
        err("bale: this change was not published (the store keeps what it had); watching for changes");
      },
    }),
  );
}

const publishCommand: CommandModule<object, PublishArgs> = {
  command: "publish [root]",
  describe: "Build, then publish every artifact to etcd in one guarded swap (all-or-nothing)",
  builder: (y) =>
    common(y)
      .option("output", { alias: "o", type: "string", describe: 'compiled output directory (default "<root>/out")' })
      .option("build", { type: "boolean", default: true, describe: "compile first (--no-build publishes out/ as it is, after checking its hashes)" })
      .option("canary", { type: "string", describe: "publish to this canary only (loaders started with that canary name follow it)" })
      .option("watch", { type: "boolean", default: false, describe: "keep running: rebuild and publish after every change (one JSON line per publish with --json)" })
      .check((a) => !(a.watch && a.build === false) || "--watch publishes what it builds: drop --no-build, or drop --watch to publish out/ as it is") as never,
  handler: runPublish,
};

const statusCommand: CommandModule<object, CommonArgs> = {
  command: "status [root]",
  describe: "Show what is live in etcd (manifest hash, revision, who and when) and the canaries",
  builder: (y) => common(y) as never,
  handler: async (a) => {
    const { fleetStatus } = await lib();
    const s = await fleetStatus(fleetOptions(a));
    if (a.json) return printJson(s);
    if (!s.live) out(`${s.prefix}: nothing published (store revision ${s.revision})`);
    else out(`${s.prefix} live: ${short(s.live.hash)} (${s.live.artifacts} artifacts) written at revision ${s.live.modRevision} by ${s.live.published.by} at ${s.live.published.at} (${s.live.published.action})${s.live.layout === 1 ? " [layout 1, written by an older bale]" : ""}; store revision ${s.revision}`);
    for (const c of s.canaries) out(`  canary ${c.name}: ${short(c.hash)} (${c.artifacts} artifacts) at revision ${c.modRevision} by ${c.published.by} at ${c.published.at}`);
  },
};

interface HistoryArgs extends CommonArgs {
  limit: number;
}

const historyCommand: CommandModule<object, HistoryArgs> = {
  command: "history [root]",
  describe: "List the last manifest swaps (publish, rollback, promote), newest first",
  builder: (y) => common(y).option("limit", { alias: "n", type: "number", default: 20, describe: "how many" }) as never,
  handler: async (a) => {
    const { fleetHistory } = await lib();
    const h = await fleetHistory({ ...fleetOptions(a), limit: a.limit });
    if (a.json) return printJson(h);
    if (!h.length) out("no history");
    for (const r of h) {
      out(`${short(r.hash)} rev ${r.revision} ${r.target} ${r.published.action} by ${r.published.by} at ${r.published.at}: +${r.added.length} ~${r.changed.length} -${r.removed.length}`);
    }
  },
};

interface RollbackArgs extends CommonArgs {
  to?: string;
}

const rollbackCommand: CommandModule<object, RollbackArgs> = {
  command: "rollback [root]",
  describe: "Make an earlier manifest live again (default: the one the live manifest replaced)",
  builder: (y) => common(y).option("to", { type: "string", describe: "manifest hash (>= 8 hex digits) from `bale config history`" }) as never,
  handler: async (a) => {
    const { rollbackConfigs } = await lib();
    const r = await rollbackConfigs({ ...fleetOptions(a), ...(a.to !== undefined ? { to: a.to } : {}) });
    if (a.json) printJson(r);
    else printResult("rolled back", r);
  },
};

interface PromoteArgs extends CommonArgs {
  canary: string;
  expect?: string;
}

const promoteCommand: CommandModule<object, PromoteArgs> = {
  command: "promote [root]",
  describe: "Make a canary's manifest live for everyone",
  builder: (y) =>
    common(y)
      .option("canary", { type: "string", demandOption: true, describe: "the canary to promote" })
      .option("expect", { type: "string", describe: "promote only if the canary holds this manifest hash (>= 8 hex digits; the one you tested)" }) as never,
  handler: async (a) => {
    const { promoteCanary } = await lib();
    const r = await promoteCanary({ ...fleetOptions(a), canary: a.canary, ...(a.expect !== undefined ? { expect: a.expect } : {}) });
    if (a.json) printJson(r);
    else printResult("promoted", r);
  },
};

export const fleetCommands = [publishCommand, statusCommand, historyCommand, rollbackCommand, promoteCommand] as CommandModule<object, object>[];
