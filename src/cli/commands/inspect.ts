import type { CommandModule } from "yargs";
import { inspect } from "../../admin/inspect.js";
import { formatBytes, out, printJson } from "../output.js";

interface Args {
  archive: string;
  files: boolean;
  json: boolean;
}

export const inspectCommand: CommandModule<object, Args> = {
  command: "inspect <archive>",
  describe: "Show what an archive holds (reads only its index unless --files)",
  builder: (y) =>
    y
      .positional("archive", { type: "string", demandOption: true })
      .option("files", { type: "boolean", default: false, describe: "list every file in the payload (decoded within the sizes the index declares)" })
      .option("json", { type: "boolean", default: false, describe: "print as JSON" }) as never,
  handler: async (a) => {
    const r = await inspect({ archive: a.archive, files: a.files });
    if (a.json) return printJson(r);
    const i = r.index;
    const s = i.segments;
    out(`${a.archive}: bale archive, format ${i.format}`);
    out(`  app        ${i.name}`);
    out(`  app id     ${i.appId}`);
    out(`  entry      ${i.entry}`);
    out(`  node       ${i.node}${i.nodeOptions.length ? `  (options: ${i.nodeOptions.join(" ")})` : ""}`);
    out(`  config     ${i.configDir ?? "(none)"}`);
    const rt = i.runtime;
    if (rt) out(`  runtime    Node.js ${rt.version}, ${rt.platform}, ${formatBytes(rt.size)}, sha256 ${rt.sha256} (${rt.source})`);
    else out("  runtime    the host's node (none embedded)");
    const embedded = s.decoder && s.runtime ? ` + decoder ${formatBytes(s.decoder.length)} + runtime ${formatBytes(s.runtime.length)}` : "";
    out(`  size       ${formatBytes(r.size)} = prelude ${s.prelude.length} B + extractor ${formatBytes(s.extractor.length)}${embedded} + payload ${formatBytes(s.payload.length)} + index`);
    out(`  payload    ${i.payload.files} files, ${formatBytes(i.payload.unpackedSize)} unpacked, zstd level ${i.payload.level} (${(s.payload.length / Math.max(1, i.payload.unpackedSize) * 100).toFixed(1)}%)`);
    out(`  built by   bale ${i.build.bale}, SOURCE_DATE_EPOCH ${i.build.sourceDateEpoch}`);
    if (r.files) {
      out("");
      for (const f of r.files) {
        const size = f.type === "file" ? String(f.size).padStart(10) : "".padStart(10);
        out(`  ${f.mode} ${size}  ${f.path}${f.type === "directory" ? "/" : ""}${f.target ? ` -> ${f.target}` : ""}`);
      }
    }
  },
};
