/** `bale inspect`: an archive's index, and with `files` every entry of its payload. */
import { closeSync } from "node:fs";
import { listPayload } from "../archive/extract.js";
import { type ArchiveIndex, readIndexFromFd } from "../archive/format.js";
import { openArchive } from "../archive/io.js";
import type { TarEntry } from "../archive/tar.js";
import { validateOptions } from "../options.js";

export interface InspectOptions {
  archive: string;
  /** Also list every entry of the payload (decompresses it). */
  files?: boolean;
}

export interface InspectResult {
  archive: string;
  size: number;
  index: ArchiveIndex;
  files?: Array<{ path: string; type: TarEntry["type"]; size: number; mode: string; target?: string }>;
}

export async function inspect(o: InspectOptions): Promise<InspectResult> {
  validateOptions("inspect", o);
  const fd = openArchive(o.archive);
  try {
    const { index, size } = readIndexFromFd(fd, o.archive);
    const r: InspectResult = { archive: o.archive, size, index };
    if (o.files) {
      // Decoding is bounded by the index's declared sizes: a decompression bomb is refused, not inflated.
      const { entries } = await listPayload(fd, index, o.archive);
      r.files = entries.map((e) => {
        const f: NonNullable<InspectResult["files"]>[number] = { path: e.path, type: e.type, size: e.size, mode: e.mode.toString(8).padStart(4, "0") };
        if (e.type === "symlink") f.target = e.linkTarget;
        return f;
      });
    }
    return r;
  } finally {
    closeSync(fd);
  }
}
