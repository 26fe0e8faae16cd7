import type { CommandModule } from "yargs";
import { cacheList, cachePrune } from "../../archive/admin.js";
import { EXIT_USER, formatBytes, out, printJson } from "../output.js";

interface Args {
  action: "list" | "prune";
  json: boolean;
  check: boolean;
}

export const cacheCommand: CommandModule<object, Args> = {
  command: "cache <action>",
  describe: "List the extraction cache, or prune what no running app holds (keeps the newest per app)",
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
      if (a.check) {
        const bad = r.entries.filter((e) => e.damaged).length;
        out(bad ? `${bad} damaged entr${bad === 1 ? "y" : "ies"} repaired` : `checked ${r.entries.length} entr${r.entries.length === 1 ? "y" : "ies"}: all intact`);
        if (bad) process.exitCode = EXIT_USER;
      }
      return;
    }
    const r = cachePrune();
    if (a.json) return printJson(r);
    out(`cache: ${r.root}`);
    for (const e of r.removed) out(`  removed ${e.name} ${e.appId.slice(0, 16)} (${formatBytes(e.bytes)})`);
    const freed = r.removed.reduce((n, e) => n + e.bytes, 0);
    out(`pruned ${r.removed.length} entr${r.removed.length === 1 ? "y" : "ies"} (${formatBytes(freed)}), kept ${r.kept.length}, cleaned ${r.staleCleaned} stale item(s)`);
  },
};
