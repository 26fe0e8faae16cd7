/**
 * Reading archives: the few I/O helpers every reader shares (the admin commands, the packer's
 * self-checks, the embedded extractor through format.ts). Bundled into the extractor: small.
 */
import { createHash } from "node:crypto";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { BaleError } from "../errors.js";

/** Opens an archive for reading; a user error (archive-unreadable) when it cannot be or is a directory. */
export function openArchive(file: string): number {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (e) {
    throw new BaleError("archive-unreadable", `cannot open the archive (${(e as NodeJS.ErrnoException).code ?? String(e)})`, {
      file,
      fix: "check the path and that you may read the file",
    });
  }
  if (fstatSync(fd).isDirectory()) {
    closeSync(fd);
    throw new BaleError("archive-unreadable", "this is a directory, not an archive", { file, fix: "pass the archive file that `bale pack` wrote" });
  }
  return fd;
}

/** `length` bytes at `position`, or fewer when the file ends first. */
export function readExactly(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? buf : buf.subarray(0, done);
}

export const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
