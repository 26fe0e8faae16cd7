import type { CommandModule } from "yargs";
import { BINDINGS_LANGS } from "../../bindings/langs.js";
import { out, printJson } from "../output.js";

interface Args {
  root: string;
  lang: string[];
  out: string | undefined;
  "config-out": string | undefined;
  "python-package": string | undefined;
  json: boolean;
}

const KNOWN = [...BINDINGS_LANGS, "go"];

export const genCommand: CommandModule<object, Args> = {
  command: "gen [root]",
  describe: "Generate TypeScript/Python clients, servers and config loaders (+ OpenAPI) from a config project",
  builder: (y) =>
    y
      .positional("root", { type: "string", default: ".", describe: "config project root (holds schemas/ and out/)" })
      .option("lang", {
        type: "string",
        array: true,
        default: ["ts", "python"],
        describe: "languages, comma-separated: ts, python (go: not yet supported)",
        choices: KNOWN,
        coerce: (v: string[]) => v.flatMap((s) => String(s).split(",")).map((s) => s.trim()).filter((s) => s !== ""),
      })
      .option("out", { alias: "o", type: "string", describe: "output dir (default <root>/gen), one subfolder per language" })
      .option("config-out", { type: "string", describe: "compiled config dir with bale-manifest.json (default <root>/out)" })
      .option("python-package", { type: "string", describe: "Python package name (default bale_gen)" })
      .option("json", { type: "boolean", default: false, describe: "print the result as JSON" }) as never,
  handler: async (a) => {
    const { generateBindings } = await import("../../bindings/index.js"); // the generators load only for gen
    const r = generateBindings({
      root: a.root,
      langs: a.lang,
      ...(a.out !== undefined ? { outDir: a.out } : {}),
      ...(a["config-out"] !== undefined ? { configOut: a["config-out"] } : {}),
      ...(a["python-package"] !== undefined ? { pythonPackage: a["python-package"] } : {}),
    });
    if (a.json) return printJson(r);
    out(`bale gen: ${r.files.length} files in ${r.outDir} (${[...r.langs, "openapi"].join(", ")})`);
    out(`  services       ${r.services.length ? r.services.join(", ") : "(none)"}`);
    out(`  config loaders ${r.configLoaders.length ? r.configLoaders.join(", ") : "(none)"}`);
  },
};
