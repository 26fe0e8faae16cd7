import type { CommandModule } from "yargs";
import { cacheList, cachePrune } from "../../archive/admin.js";
import { formatBytes, out, printJson } from "../output.js";

interface Args {
  action: "list" | "prune";
  json: boolean;
}

export const cacheCommand: CommandModule<object, Args> = {
  command: "cache <action>",
  describe: "List the extraction cache, or prune what no running app holds (keeps the newest per app)",
  builder: (y) =>
    y
      .positional("action", { choices: ["list", "prune"] as const, demandOption: true })
      .option("json", { type: "boolean", default: false }) as never,
  handler: (a) => {
    if (a.action === "list") {
      const r = cacheList();
      if (a.json) return printJson(r);
      out(`cache: ${r.root}`);
      if (r.entries.length === 0) out("  (empty)");
      for (const e of r.entries) {
        const when = e.extractedAt ? new Date(e.extractedAt).toISOString() : "?";
        out(`  ${e.name.padEnd(20)} ${e.appId.slice(0, 16)}  ${formatBytes(e.bytes).padStart(10)}  ${when}${e.inUseBy.length ? `  in use (pid ${e.inUseBy.join(", ")})` : ""}`);
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
