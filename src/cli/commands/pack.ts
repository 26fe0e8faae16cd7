import type { CommandModule } from "yargs";
import { relative } from "node:path";
import type { PackOptions } from "../../pack/index.js";
import { DEFAULT_LEVEL } from "../../pack/zstd.js";
import { err, formatBytes, out, printJson } from "../output.js";

interface Args {
  entry: string;
  output?: string;
  name?: string;
  include?: string[];
  config?: string;
  "node-options"?: string;
  level: number;
  sourcemap?: boolean;
  node?: string;
  json: boolean;
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
      .option("config", { type: "string", describe: "compiled config dir to pack at config/ (BALE_CONFIG_DIR at run time)" })
      .option("node-options", { type: "string", describe: 'options node gets before the entry, as one word: --node-options "--max-old-space-size=512 --no-warnings"' })
      .option("level", { type: "number", default: DEFAULT_LEVEL, describe: "zstd level, 1 (fast) to 19 (small)" })
      .option("sourcemap", {
        type: "boolean",
        describe: "emit a source map and run with --enable-source-maps (default: on, except for an entry inside a package packed whole); --no-sourcemap turns it off",
      })
      .option("node", { type: "string", describe: 'Node.js range the app needs (default ">=20")' })
      .option("json", { type: "boolean", default: false, describe: "print the result as JSON" }) as never,
  handler: async (a) => {
    const o: PackOptions = { entry: a.entry, level: a.level };
    if (a.sourcemap !== undefined) o.sourcemap = a.sourcemap;
    if (a.output !== undefined) o.output = a.output;
    if (a.name !== undefined) o.name = a.name;
    if (a.include !== undefined) o.include = a.include;
    if (a.config !== undefined) o.config = a.config;
    if (a["node-options"] !== undefined) o.nodeOptions = a["node-options"];
    if (a.node !== undefined) o.node = a.node;
    const { pack } = await import("../../pack/index.js"); // esbuild and nft load only for pack
    const r = await pack(o);
    if (a.json) return printJson(r);
    const i = r.index;
    out(
      `packed ${i.name} -> ${relative(process.cwd(), r.output) || r.output} (${formatBytes(r.size)}; ${i.payload.files} files, ` +
        `${formatBytes(i.payload.unpackedSize)} unpacked; zstd ${i.payload.level}) in ${r.timings.totalMs} ms`,
    );
    if (r.externalPackages.length) out(`  native/asset packages kept whole: ${r.externalPackages.join(", ")}`);
    for (const w of r.warnings) err(`  warning: ${w}`);
    if (r.compressor !== "zstd-napi" && !process.env.BALE_ZSTD_IMPL) {
      err(`  note: zstd-napi is not installed (optional; its install script may have been skipped), so the payload was compressed with ${r.compressor}: same format and deterministic, but not byte-identical to a zstd-napi build`);
    }
  },
};
