/**
 * The payload tree and its reproducible tar: entries sorted by path, explicit
 * parent directories, mtime fixed to SOURCE_DATE_EPOCH (or 0), uid/gid 0, no
 * user/group names, modes normalised to 0644/0755. Same inputs, same bytes.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import { pack as tarPack } from "tar-stream";
import { checkLinkTarget, checkTreeLinks, safeEntryPath } from "../archive/tar.js";
import { FILES } from "../archive/paths.js";
import { filesText } from "../runtime-stub/cache.js";
import { diag } from "../diagnostics/create.js";

export type PayloadEntry =
  | { type: "file"; source: string | Buffer; executable: boolean }
  | { type: "symlink"; target: string };

/** Archive path (POSIX, relative) -> entry. */
export class PayloadTree {
  readonly entries = new Map<string, PayloadEntry>();
  /** For each symlink entry, the path on disk it was read from. */
  private readonly linkFrom = new Map<string, string>();

  add(path: string, entry: PayloadEntry, origin?: string): void {
    const clean = safeEntryPath(path, origin ?? path);
    const prev = this.entries.get(clean);
    if (prev) {
      const same =
        (prev.type === "file" && entry.type === "file" && prev.source === entry.source) ||
        (prev.type === "symlink" && entry.type === "symlink" && prev.target === entry.target);
      if (same) return;
      // One path on disk, met as a link (the tracer's, or a tree walk's) and as the file it points to (an
      // --include, which dereferences): the link is what the project has, and its target is packed.
      const onDisk = (e: PayloadEntry, from: string | undefined): string | undefined => (e.type === "file" ? (typeof e.source === "string" ? e.source : undefined) : from);
      const a = onDisk(prev, this.linkFrom.get(clean));
      if (a !== undefined && a === onDisk(entry, origin) && prev.type !== entry.type) {
        if (entry.type === "symlink") {
          checkLinkTarget(clean, entry.target, origin ?? clean);
          this.entries.set(clean, entry);
          if (origin !== undefined) this.linkFrom.set(clean, origin);
        }
        return;
      }
      throw diag("pack-duplicate-path", { path: clean }, { file: origin ?? clean });
    }
    if (entry.type === "symlink") {
      checkLinkTarget(clean, entry.target, origin ?? clean);
      if (origin !== undefined) this.linkFrom.set(clean, origin);
    }
    this.entries.set(clean, entry);
  }

  addFile(path: string, abs: string): void {
    const st = statSync(abs);
    this.add(path, { type: "file", source: abs, executable: (st.mode & 0o111) !== 0 }, abs);
  }

  /**
   * Adds a directory tree from disk. `skip(name, abs, isDir)` prunes children. A symlink that stays inside
   * the tree is packed as the link; one that leaves it is packed as what the app reads through it: the
   * file, or the directory's tree (`seen`: the real directories on the way down, so a link to an ancestor,
   * a cycle, is not followed).
   */
  addTree(path: string, abs: string, skip?: (name: string, abs: string, isDir: boolean) => boolean, seen: ReadonlySet<string> = new Set([realpathSync(abs)])): void {
    for (const name of readdirSync(abs).sort()) {
      const childAbs = join(abs, name);
      const st = lstatSync(childAbs);
      if (skip?.(name, childAbs, st.isDirectory())) continue;
      const child = path ? `${path}/${name}` : name;
      if (st.isSymbolicLink()) {
        const target = readlinkSync(childAbs);
        let ok = !target.startsWith("/");
        if (ok) {
          try {
            checkLinkTarget(child, target, childAbs);
          } catch {
            ok = false;
          }
        }
        const to = ok ? null : statSync(childAbs, { throwIfNoEntry: false });
        if (ok) this.add(child, { type: "symlink", target }, childAbs);
        else if (to?.isFile()) this.addFile(child, childAbs); // dereference
        else if (to?.isDirectory()) {
          const real = realpathSync(childAbs);
          if (!seen.has(real)) this.addTree(child, childAbs, skip, new Set([...seen, real]));
        }
      } else if (st.isDirectory()) this.addTree(child, childAbs, skip, new Set([...seen, realpathSync(childAbs)]));
      else if (st.isFile()) this.add(child, { type: "file", source: childAbs, executable: (st.mode & 0o111) !== 0 }, childAbs);
    }
  }
}

export interface TarResult {
  tar: Buffer;
  entries: number;
  files: number;
  unpackedSize: number;
}

export async function writeTar(tree: PayloadTree, sourceDateEpoch: number): Promise<TarResult> {
  const mtime = new Date(sourceDateEpoch * 1000);
  const all = new Map<string, PayloadEntry | { type: "directory" }>();
  for (const [p, e] of tree.entries) {
    all.set(p, e);
    const parts = p.split("/");
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join("/");
      const existing = all.get(d);
      if (existing && existing.type !== "directory") {
        throw diag("pack-duplicate-path:file-and-dir", { path: d }, { file: d });
      }
      all.set(d, { type: "directory" });
    }
  }
  checkTreeLinks(all);
  const names = [...all.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const pack = tarPack();
  const chunks: Buffer[] = [];
  pack.on("data", (c: unknown) => void chunks.push(c as Buffer));
  const done = new Promise<void>((res, rej) => {
    pack.on("end", () => res());
    pack.on("error", rej);
  });
  let files = 0;
  let unpackedSize = 0;
  const listing: Array<[string, number, string]> = [];
  const base = { mtime, uid: 0, gid: 0, uname: "", gname: "" };
  for (const name of names) {
    const e = all.get(name) as PayloadEntry | { type: "directory" };
    if (e.type === "directory") {
      pack.entry({ ...base, name, type: "directory", mode: 0o755 });
      listing.push(["directory", 0, name]);
    } else if (e.type === "symlink") {
      pack.entry({ ...base, name, type: "symlink", linkname: e.target, mode: 0o777 });
      listing.push(["symlink", 0, name]);
    } else {
      const data = typeof e.source === "string" ? readFileSync(e.source) : e.source;
      files++;
      unpackedSize += data.length;
      listing.push(["file", data.length, name]);
      await new Promise<void>((res, rej) =>
        pack.entry({ ...base, name, type: "file", size: data.length, mode: e.executable ? 0o755 : 0o644 }, data, (err) =>
          err ? rej(err) : res(),
        ),
      );
    }
  }
  // Last, the entry's file list (what `cache list --check` and cold starts check the extraction against):
  // in the payload, so the sh fast path (zstd | tar) and the node extractor publish the same list.
  const list = Buffer.from(filesText(listing), "utf8");
  files++;
  unpackedSize += list.length;
  // Executable (0755) so that the sh fast path can tell a noexec cache with one `test -x` (access(2) refuses
  // X_OK for any file on a noexec mount), with no read of /proc/self/mountinfo.
  pack.entry({ ...base, name: FILES, type: "file", size: list.length, mode: 0o755 }, list);
  pack.finalize();
  await done;
  return { tar: Buffer.concat(chunks), entries: names.length + 1, files, unpackedSize };
}
