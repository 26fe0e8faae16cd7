/**
 * Writes an archive: prelude + extractor + payload + index + trailer, into a
 * temp file beside the output, fsynced, mode 0755, then renamed into place —
 * an earlier good archive at that path survives any failure.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ArchiveIndex, encodeTrailer, FORMAT_RUNTIME, FORMAT_VERSION } from "../archive/format.js";
import type { EmbeddedRuntime } from "./runtime.js";
import { sha256 } from "../archive/io.js";
import { writeFileAtomic } from "../atomic.js";
import { preludeForIndex, renderPrelude } from "../runtime-stub/prelude.js";
import { VERSION } from "../version.js";
import { diag, userIo } from "../diagnostics/create.js";

let extractorCache: Buffer | undefined;
/** The built extractor segment (brotli of the JS + wasm decoder): beside this module in dist/, or in dist/ when running from src/ (tests). */
export function extractorCode(): Buffer {
  if (extractorCache) return extractorCache;
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, "../runtime-stub/extractor.bin"), join(here, "../../dist/runtime-stub/extractor.bin")];
  for (const c of candidates) {
    if (existsSync(c)) return (extractorCache = readFileSync(c));
  }
  throw new Error(`internal: the runtime extractor is not built (looked in ${candidates.join(", ")}); run \`npm run build\``);
}

export interface AssembleInput {
  name: string;
  entry: string;
  node: string;
  nodeOptions: string[];
  configDir: string | null;
  payload: Buffer;
  /** The payload's zstd frame carries a content checksum (see Compressed.checksum). */
  checksum: boolean;
  level: number;
  entries: number;
  files: number;
  unpackedSize: number;
  sourceDateEpoch: number;
  /** The Node.js runtime to embed (format 2), or null to run on the host's node (format 1). */
  runtime: EmbeddedRuntime | null;
}

export interface Assembled {
  index: ArchiveIndex;
  parts: Buffer[];
  size: number;
}

/**
 * Options for node go before the entry in the prelude's `exec node <options> -- <entry>`: each word
 * must be an option (`-x`, `--flag`, `--flag=value`); a bare word would be taken by node as the script
 * to run, making an archive that cannot start.
 */
export function checkNodeOptions(options: string[]): void {
  for (const o of options) {
    if (!o.startsWith("-") || o === "--" || o === "-") {
      throw diag("pack-node-options", { option: JSON.stringify(o) }, { file: "--node-options" });
    }
  }
}

export function assemble(a: AssembleInput): Assembled {
  checkNodeOptions(a.nodeOptions);
  const extractor = extractorCode();
  const extractorSha = sha256(extractor);
  const appId = sha256(a.payload);
  const rt = a.runtime;
  const decoderSha = rt ? sha256(rt.decoder) : "";
  const segmentSha = rt ? sha256(rt.compressed) : "";
  const preludeFor = (offset: number, indexSha256: string): Buffer =>
    Buffer.from(
      renderPrelude({
        name: a.name,
        appId,
        entry: a.entry,
        node: a.node,
        nodeOptions: a.nodeOptions,
        configDir: a.configDir,
        extractorOffset: offset,
        extractorLength: extractor.length,
        extractorSha256: extractorSha,
        payloadOffset: 0,
        payloadLength: a.payload.length,
        bale: VERSION,
        tailSha256: "0".repeat(64),
        fastPath: a.checksum,
        indexSha256,
        runtime: rt
          ? {
              info: rt.info,
              decoder: { offset: 0, length: rt.decoder.length, sha256: decoderSha },
              segment: { offset: 0, length: rt.compressed.length, sha256: segmentSha },
            }
          : null,
      }),
      "utf8",
    );
  // Numbers and hashes in the prelude have fixed widths, so its length is known before its content.
  const preludeLength = preludeFor(0, "0".repeat(64)).length;
  let next = preludeLength + extractor.length;
  const segments: ArchiveIndex["segments"] = {
    prelude: { offset: 0, length: preludeLength },
    extractor: { offset: preludeLength, length: extractor.length, sha256: extractorSha },
    payload: { offset: 0, length: a.payload.length, sha256: appId },
  };
  if (rt) {
    segments.decoder = { offset: next, length: rt.decoder.length, sha256: decoderSha };
    next += rt.decoder.length;
    segments.runtime = { offset: next, length: rt.compressed.length, sha256: segmentSha };
    next += rt.compressed.length;
  }
  segments.payload.offset = next;
  const index: ArchiveIndex = {
    format: rt ? FORMAT_RUNTIME : FORMAT_VERSION,
    name: a.name,
    appId,
    entry: a.entry,
    node: a.node,
    nodeOptions: a.nodeOptions,
    configDir: a.configDir,
    ...(rt ? { runtime: rt.info } : {}),
    segments,
    payload: { compression: "zstd", level: a.level, entries: a.entries, files: a.files, unpackedSize: a.unpackedSize, ...(a.checksum ? { checksum: true as const } : {}) },
    build: { bale: VERSION, sourceDateEpoch: a.sourceDateEpoch },
  };
  const indexBytes = Buffer.from(JSON.stringify(index), "utf8");
  const prelude = Buffer.from(preludeForIndex(index, indexBytes), "utf8");
  if (prelude.length !== preludeLength) throw new Error("internal: prelude length depends on its content");
  const parts = [prelude, extractor, ...(rt ? [rt.decoder, rt.compressed] : []), a.payload, indexBytes, encodeTrailer(indexBytes.length)];
  return { index, parts, size: parts.reduce((n, p) => n + p.length, 0) };
}

/** Writes `parts` to `output` atomically (src/atomic.ts: temp beside it, fsynced, renamed) with mode 0755. */
export function writeExecutable(output: string, parts: Buffer[]): void {
  try {
    writeFileAtomic(output, parts, { mode: 0o755, durable: true });
  } catch (e) {
    userIo(e, "pack-output-unwritable", {}, output);
  }
}
