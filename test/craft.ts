/** Test helpers that craft archives by hand: tar headers, hostile payloads wrapped in a well-formed archive. */
import { join } from "node:path";
import { assemble, writeExecutable } from "../src/pack/assemble.js";
import { compress } from "../src/pack/zstd.js";

export function tarHeader(name: string, type: string, opts: { size?: number; linkname?: string; mode?: number } = {}): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, "utf8");
  h.write((opts.mode ?? 0o644).toString(8).padStart(7, "0") + "\0", 100, "ascii");
  h.write("0000000\0", 108, "ascii");
  h.write("0000000\0", 116, "ascii");
  h.write((opts.size ?? 0).toString(8).padStart(11, "0") + "\0", 124, "ascii");
  h.write("00000000000\0", 136, "ascii");
  h.write("        ", 148, "ascii");
  h.write(type, 156, "ascii");
  if (opts.linkname) h.write(opts.linkname, 157, 100, "utf8");
  h.write("ustar\0", 257, "ascii");
  h.write("00", 263, "ascii");
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "ascii");
  return h;
}

export function tarFile(name: string, body: string): Buffer {
  const data = Buffer.from(body);
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([tarHeader(name, "0", { size: data.length }), data, pad]);
}

export interface Declared {
  entries: number;
  files: number;
  unpackedSize: number;
}

/** Wraps a zstd payload in a well-formed archive (correct hashes and segments) whose index says `declared`. */
export function wrapPayload(dir: string, name: string, payload: Buffer, declared: Declared, entry = "app/main.js"): string {
  // checksum: false renders no sh fast path, so these hand-made payloads meet the node extractor's checks (as the
  // fast path's archives do whenever their frame fails its checksum).
  const a = assemble({ name, entry, node: ">=20", nodeOptions: [], configDir: null, payload, checksum: false, level: 3, sourceDateEpoch: 0, runtime: null, ...declared });
  const file = join(dir, name);
  writeExecutable(file, a.parts);
  return file;
}

/** An archive whose tar holds app/main.js (printing APP RAN) and `entries`, with an honest index. */
export async function craftArchive(dir: string, name: string, entries: Buffer[], main = 'console.log("APP RAN")\n'): Promise<string> {
  const mainEntry = tarFile("app/main.js", main);
  const all = [tarHeader("app/", "5", { mode: 0o755 }), mainEntry, ...entries];
  let files = 0;
  let unpackedSize = 0;
  for (const e of [mainEntry, ...entries]) {
    if (String.fromCharCode(e[156] as number) === "0") {
      files++;
      unpackedSize += parseInt(e.toString("ascii", 124, 135), 8);
    }
  }
  const z = await compress(Buffer.concat([...all, Buffer.alloc(1024)]), 3);
  return wrapPayload(dir, name, z.data, { entries: all.length, files, unpackedSize });
}
