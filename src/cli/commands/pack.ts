import type { CommandModule } from "yargs";
import { relative } from "node:path";
import type { PackOptions } from "../../pack/index.js";
import { TARGETS, type Target } from "../../pack/target.js";
import { DEFAULT_LEVEL } from "../../pack/zstd.js";
import { err, formatBytes, out, printJson } from "../output.js";
import { warningLine } from "../../diagnostics/collector.js";

interface Args {
  entry: string;
  output?: string;
  name?: string;
  include?: string[];
  "extra-entry"?: string[];
  external?: string[];
  exclude?: string[];
  bundle?: boolean;
  config?: string;
  "node-options"?: string;
  level: number;
  sourcemap?: boolean;
  node?: string;
  runtime?: string;
  "runtime-level"?: number;
  target?: Target;
  json: boolean;
}

function abbreviate(list: string[]): string {
  return list.length <= 8 ? list.join(", ") : `${list.slice(0, 8).join(", ")}, … ${list.length - 8} more; --json lists all`;
}

export const packCommand: CommandModule<object, Args> = {
  command: "pack <entry>",
  describe: "Pack an app (a .ts/.js/.mjs/.cjs file or a package dir) into one executable file",
  builder: (y) =>
    y
      .positional("entry", { type: "string", demandOption: true, describe: "entry file, or package directory (its bin or main)" })
      .option("output", { alias: "o", type: "string", describe: "output file (default: ./<name>)" })
      .option("name", { type: "string", describe: "app name (default: package name or entry file name)" })
      .option("include", { type: "string", array: true, describe: "extra file or dir, relative to the entry's dir (repeatable)" })
      .option("extra-entry", {
        type: "string",
        array: true,
        describe: "another entry point the app starts (worker, child script), relative to the entry's dir; traced like the entry (repeatable)",
      })
      .option("external", {
        type: "string",
        array: true,
        describe: "package to pack whole with its dependencies even if no code names it statically, e.g. a plugin loaded by name (repeatable)",
      })
      .option("exclude", {
        type: "string",
        array: true,
        describe: "a file or directory of the project (relative to its package.json) not to pack, e.g. test data (repeatable)",
      })
      .option("bundle", { type: "boolean", describe: "bundle the app's code and pure-JS packages with esbuild (smaller; see README before using)" })
      .option("config", { type: "string", describe: "compiled config dir to pack at config/ (BALE_CONFIG_DIR at run time)" })
      .option("node-options", { type: "string", describe: 'options node gets before the entry, as one word: --node-options "--max-old-space-size=512 --no-warnings"' })
      .option("level", { type: "number", default: DEFAULT_LEVEL, describe: "zstd level, 1 (fast) to 19 (small)" })
      .option("sourcemap", {
        type: "boolean",
        describe: "source maps for the code bale compiles or bundles, run with --enable-source-maps (default: on when bale compiled TypeScript or bundled); --no-sourcemap turns it off",
      })
      .option("node", { type: "string", describe: 'Node.js range the app needs (default ">=20")' })
      .option("runtime", {
        type: "string",
        describe: 'embed a Node.js runtime: a version ("22", "22.23.5"; npm package node-<platform>), a path to a node binary, or "system" (default: the host\'s node)',
      })
      .option("runtime-level", { type: "number", describe: "zstd level of the embedded runtime, 1 to 19 (default 19; compressed once per binary, then cached)" })
      .option("target", {
        type: "string",
        choices: TARGETS,
        describe: "platform the archive is for (default: this host's); another one installs the dependencies for it with npm --os/--cpu and checks every binary is for it",
      })
      .option("json", { type: "boolean", default: false, describe: "print the result as JSON" }) as never,
  handler: async (a) => {
    const o: PackOptions = { entry: a.entry, level: a.level };
    if (a.sourcemap !== undefined) o.sourcemap = a.sourcemap;
    if (a.output !== undefined) o.output = a.output;
    if (a.name !== undefined) o.name = a.name;
    if (a.include !== undefined) o.include = a.include;
    if (a["extra-entry"] !== undefined) o.extraEntries = a["extra-entry"];
    if (a.external !== undefined) o.external = a.external;
    if (a.exclude !== undefined) o.exclude = a.exclude;
    if (a.bundle !== undefined) o.bundle = a.bundle;
    if (a.config !== undefined) o.config = a.config;
    if (a["node-options"] !== undefined) o.nodeOptions = a["node-options"];
    if (a.node !== undefined) o.node = a.node;
    if (a.runtime !== undefined) o.runtime = a.runtime;
    if (a["runtime-level"] !== undefined) o.runtimeLevel = a["runtime-level"];
    if (a.target !== undefined) o.target = a.target;
    const { pack } = await import("../../pack/index.js"); // esbuild and nft load only for pack
    const r = await pack(o);
    if (a.json) return printJson(r);
    const i = r.index;
    out(
      `packed ${i.name} -> ${relative(process.cwd(), r.output) || r.output} (${formatBytes(r.size)}; ${i.payload.files} files, ` +
        `${formatBytes(i.payload.unpackedSize)} unpacked; zstd ${i.payload.level}) in ${r.timings.totalMs} ms`,
    );
    if (r.runtime) out(`  runtime: Node.js ${r.runtime.version} (${r.runtime.platform}, ${formatBytes(r.runtime.size)}; ${r.runtime.source}), ${formatBytes(i.segments.runtime?.length ?? 0)} in the archive`);
    if (r.mode === "bundle") {
      if (r.externalPackages.length) out(`  bundled; packages kept whole: ${r.externalPackages.join(", ")}`);
    } else out(`  in place: ${r.packages.length} package${r.packages.length === 1 ? "" : "s"}${r.packages.length ? ` (${abbreviate(r.packages)})` : ""}`);
    if (r.target) {
      out(`  for ${r.target.platform}: dependencies installed for it by npm in ${r.target.reused ? "a cached staging dir" : `${r.target.stageMs} ms`} (${r.target.stagingDir ?? "not cached: no lockfile"})`);
    }
    const p = r.pruned;
    if (p.installOnly.length || p.buildFiles || p.otherPlatforms?.length) {
      const parts: string[] = [];
      if (p.buildFiles) parts.push(`${p.buildFiles} native build files (${formatBytes(p.buildBytes)})`);
      if (p.installOnly.length) parts.push(`install-time packages ${p.installOnly.join(", ")}`);
      if (p.otherPlatforms?.length) parts.push(`${p.otherPlatforms.length} binaries for other platforms`);
      out(`  left out, never run: ${parts.join("; ")}`);
    }
    for (const w of r.warnings) err(`  warning: ${warningLine(w)}`);
    if (r.compressor !== "zstd-napi" && !process.env.BALE_ZSTD_IMPL) {
      err(`  note: zstd-napi is not installed (optional; its install script may have been skipped), so the payload was compressed with ${r.compressor}: same format and deterministic, but not byte-identical to a zstd-napi build`);
    }
  },
};
