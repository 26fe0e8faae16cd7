import type { CommandModule } from "yargs";
import { cacheList } from "../../admin/cache-list.js";
import { cachePrune } from "../../admin/cache-prune.js";
import { EXIT_USER, formatBytes, out, printJson } from "../output.js";

interface Args {
  action: "list" | "prune";
  json: boolean;
  check: boolean;
}

export const cacheCommand: CommandModule<object, Args> = {
  command: "cache <action>",
  describe: "List the extraction cache and its runtimes, or prune what no running app holds (keeps the newest per app and the runtimes they need)",
  builder: (y) =>
    y
      .positional("action", { choices: ["list", "prune"] as const, demandOption: true })
      .option("json", { type: "boolean", default: false })
      .option("check", {
        type: "boolean",
        default: false,
        describe: "list: check every entry against its file list; a damaged one is removed so its next run extracts it again",
      }) as never,
  handler: (a) => {
    if (a.action === "list") {
      const r = cacheList({ check: a.check });
      if (a.json) return printJson(r);
      out(`cache: ${r.root}`);
      if (r.entries.length === 0) out("  (empty)");
      for (const e of r.entries) {
        const when = e.extractedAt ? new Date(e.extractedAt).toISOString() : "?";
        out(`  ${e.name.padEnd(20)} ${e.appId.slice(0, 16)}  ${formatBytes(e.bytes).padStart(10)}  ${when}${e.inUseBy.length ? `  in use (pid ${e.inUseBy.join(", ")})` : ""}`);
        if (e.damaged) {
          out(`    damaged: ${e.damaged}; ${e.repair === "removed" ? "removed" : "marked stale (in use)"}: its next run extracts it again`);
        }
      }
      if (r.runtimes.length > 0) out("runtimes:");
      const names = new Map(r.entries.map((e) => [e.appId, e.name] as const));
      for (const rt of r.runtimes) {
        const users = rt.usedBy.map((id) => names.get(id) ?? id.slice(0, 16)).sort();
        out(
          `  node ${rt.version.padEnd(9)} ${rt.platform.padEnd(11)} ${rt.sha256.slice(0, 16)}  ${formatBytes(rt.bytes).padStart(10)}  ` +
            `used by ${users.length ? users.join(", ") : "no cached app"}${rt.inUseBy.length ? `  in use (pid ${rt.inUseBy.join(", ")})` : ""}`,
        );
        if (rt.damaged) out(`    damaged: ${rt.damaged}; ${rt.repair === "removed" ? "removed" : "marked stale (in use)"}: the next run unpacks it again`);
      }
      if (a.check) {
        const bad = r.entries.filter((e) => e.damaged).length + r.runtimes.filter((e) => e.damaged).length;
        const n = r.entries.length + r.runtimes.length;
        out(bad ? `${bad} damaged entr${bad === 1 ? "y" : "ies"} repaired` : `checked ${n} entr${n === 1 ? "y" : "ies"}: all intact`);
        if (bad) process.exitCode = EXIT_USER;
      }
      return;
    }
    const r = cachePrune();
    if (a.json) return printJson(r);
    out(`cache: ${r.root}`);
    for (const e of r.removed) out(`  removed ${e.name} ${e.appId.slice(0, 16)} (${formatBytes(e.bytes)})`);
    for (const rt of r.removedRuntimes) out(`  removed runtime node ${rt.version} ${rt.sha256.slice(0, 16)} (${formatBytes(rt.bytes)})`);
    const freed = r.removed.reduce((n, e) => n + e.bytes, 0) + r.removedRuntimes.reduce((n, e) => n + e.bytes, 0);
    out(
      `pruned ${r.removed.length} entr${r.removed.length === 1 ? "y" : "ies"} and ${r.removedRuntimes.length} runtime${r.removedRuntimes.length === 1 ? "" : "s"} (${formatBytes(freed)}), ` +
        `kept ${r.kept.length} and ${r.keptRuntimes.length} runtime${r.keptRuntimes.length === 1 ? "" : "s"}, cleaned ${r.staleCleaned} stale item(s)`,
    );
  },
};
