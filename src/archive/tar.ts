/**
 * A small, strict POSIX tar reader (ustar + pax + GNU long names), push-based so
 * the extractor can feed it decompressed chunks as they arrive.
 *
 * It refuses anything an app payload never needs and an attacker might use:
 * absolute paths, `..` segments, NUL bytes, hard links, devices and FIFOs,
 * symlinks whose target leaves the extraction root, duplicate paths.
 */
import { BaleError, type DiagnosticCode } from "../errors.js";
import { payloadPath } from "./paths.js";

export type TarEntryType = "file" | "directory" | "symlink";

export interface TarEntry {
  /** Normalised relative POSIX path, no leading "./", no trailing "/". */
  path: string;
  type: TarEntryType;
  /** Permission bits only (0o7777 masked to 0o777). */
  mode: number;
  size: number;
  /** For symlinks: the (relative) target. */
  linkTarget: string;
}

export interface TarVisitor {
  entry(e: TarEntry): void;
  /** File contents, in order, for the entry most recently announced. */
  data(chunk: Uint8Array): void;
  endEntry(): void;
}

export class TarError extends BaleError {}

const BLOCK = 512;
const ZEROS = Buffer.alloc(64 << 10);

function hostile(what: string, file: string): TarError {
  return new TarError("archive-hostile-entry", `refusing tar entry: ${what}`, {
    file,
    fix: "the payload was not written by bale or was tampered with; rebuild the archive with `bale pack`",
  });
}

/**
 * Normalises a tar entry path and throws if it is absolute, contains `..`,
 * or is otherwise unsafe. `label` names the archive in messages.
 */
export function safeEntryPath(raw: string, label: string): string {
  const p = payloadPath(raw);
  if ("problem" in p) throw hostile(p.problem, label);
  return p.path;
}

/** Throws unless a symlink at `path` pointing at `target` stays inside the root, lexically. */
export function checkLinkTarget(path: string, target: string, label: string): void {
  if (target === "" || target.includes("\0")) throw hostile(`symlink ${path} has an empty or NUL target`, label);
  if (target.startsWith("/")) throw hostile(`symlink ${path} points at absolute path ${target}`, label);
  const stack = path.split("/").slice(0, -1);
  for (const seg of target.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (stack.length === 0) throw hostile(`symlink ${path} -> ${target} escapes the archive root`, label);
      stack.pop();
    } else stack.push(seg);
  }
}

function cString(buf: Buffer, start: number, end: number): string {
  let e = start;
  while (e < end && buf[e] !== 0) e++;
  return buf.toString("utf8", start, e);
}

function octal(buf: Buffer, start: number, end: number, label: string): number {
  const first = buf[start] ?? 0;
  if (first & 0x80) {
    // GNU base-256: big-endian binary in the remaining bytes.
    let v = 0;
    for (let i = start + 1; i < end; i++) v = v * 256 + (buf[i] ?? 0);
    if (first !== 0x80 || !Number.isSafeInteger(v)) throw hostile("a numeric field is out of range", label);
    return v;
  }
  const s = cString(buf, start, end).trim();
  if (s === "") return 0;
  if (!/^[0-7]+$/.test(s)) throw hostile(`malformed numeric field ${JSON.stringify(s)}`, label);
  return parseInt(s, 8);
}

function checksumOk(h: Buffer): boolean {
  const stored = parseInt(cString(h, 148, 156).trim() || "NaN", 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (h[i] as number);
  return sum === stored;
}

function parsePax(body: Buffer, label: string): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < body.length) {
    const sp = body.indexOf(0x20, pos);
    if (sp < 0) break;
    const len = parseInt(body.toString("ascii", pos, sp), 10);
    if (!Number.isSafeInteger(len) || len <= 0 || pos + len > body.length) throw hostile("malformed pax header", label);
    const rec = body.toString("utf8", sp + 1, pos + len - 1); // drop trailing "\n"
    const eq = rec.indexOf("=");
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    pos += len;
  }
  return out;
}

type State = "header" | "data" | "meta" | "pad" | "end";

/**
 * Push parser. Call `push()` with consecutive chunks of the tar stream and
 * `end()` at the end; the visitor receives validated entries and file data.
 */
export class TarReader {
  private state: State = "header";
  private hdr = Buffer.alloc(BLOCK);
  private hdrFill = 0;
  private remaining = 0; // bytes of data (or meta) left in the current entry
  private padLeft = 0;
  private meta: Buffer[] = [];
  private metaKind = "";
  private pax = new Map<string, string>();
  private globalPax = new Map<string, string>();
  private longName: string | undefined;
  private longLink: string | undefined;
  private zeroBlocks = 0;
  private seen = new Set<string>();
  entries = 0;
  files = 0;
  bytes = 0;

  constructor(
    private readonly visitor: TarVisitor,
    private readonly label: string,
    /** What the index declares: a header past these is refused before its data is decoded. */
    private readonly limits?: { entries: number; files: number; bytes: number },
  ) {}

  push(chunk: Uint8Array): void {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let pos = 0;
    while (pos < buf.length) {
      switch (this.state) {
        case "end":
          // Trailing zero padding after the end-of-archive marker is allowed; anything else is not.
          for (; pos < buf.length; pos += ZEROS.length) {
            const part = buf.subarray(pos, Math.min(buf.length, pos + ZEROS.length));
            if (!part.equals(ZEROS.subarray(0, part.length))) throw hostile("data after the end-of-archive marker", this.label);
          }
          return;
        case "header": {
          const n = Math.min(BLOCK - this.hdrFill, buf.length - pos);
          buf.copy(this.hdr, this.hdrFill, pos, pos + n);
          this.hdrFill += n;
          pos += n;
          if (this.hdrFill === BLOCK) {
            this.hdrFill = 0;
            this.onHeader();
          }
          break;
        }
        case "data": {
          const n = Math.min(this.remaining, buf.length - pos);
          this.visitor.data(buf.subarray(pos, pos + n));
          this.remaining -= n;
          pos += n;
          if (this.remaining === 0) this.finishData();
          break;
        }
        case "meta": {
          const n = Math.min(this.remaining, buf.length - pos);
          this.meta.push(Buffer.from(buf.subarray(pos, pos + n)));
          this.remaining -= n;
          pos += n;
          if (this.remaining === 0) this.finishMeta();
          break;
        }
        case "pad": {
          const n = Math.min(this.padLeft, buf.length - pos);
          this.padLeft -= n;
          pos += n;
          if (this.padLeft === 0) this.state = "header";
          break;
        }
      }
    }
  }

  end(): void {
    if (this.state !== "end") throw hostile("the tar stream ends early (truncated payload)", this.label);
  }

  private afterBody(size: number): void {
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    this.padLeft = pad;
    this.state = pad > 0 ? "pad" : "header";
  }

  private finishData(): void {
    this.visitor.endEntry();
    this.afterBody(this.bytesOfEntry);
  }
  private bytesOfEntry = 0;

  private finishMeta(): void {
    const body = Buffer.concat(this.meta);
    this.meta = [];
    if (this.metaKind === "x") this.pax = parsePax(body, this.label);
    else if (this.metaKind === "g") for (const [k, v] of parsePax(body, this.label)) this.globalPax.set(k, v);
    else if (this.metaKind === "L") this.longName = cString(body, 0, body.length);
    else if (this.metaKind === "K") this.longLink = cString(body, 0, body.length);
    this.afterBody(body.length);
  }

  private onHeader(): void {
    const h = this.hdr;
    if (h.every((b) => b === 0)) {
      if (++this.zeroBlocks === 2) this.state = "end";
      return;
    }
    if (this.zeroBlocks > 0) throw hostile("a lone zero block inside the archive", this.label);
    if (!checksumOk(h)) throw hostile("header checksum mismatch (corrupted payload)", this.label);
    const type = String.fromCharCode(h[156] ?? 0);
    const size = octal(h, 124, 136, this.label);
    if (type === "x" || type === "g" || type === "L" || type === "K") {
      if (size > 1 << 20) throw hostile("an oversized metadata header", this.label);
      this.metaKind = type;
      this.remaining = size;
      this.meta = [];
      if (size === 0) this.finishMeta();
      else this.state = "meta";
      return;
    }
    const magic = h.toString("latin1", 257, 262);
    const prefix = magic === "ustar" ? cString(h, 345, 500) : "";
    let rawPath = this.pax.get("path") ?? this.longName ?? (prefix ? `${prefix}/${cString(h, 0, 100)}` : cString(h, 0, 100));
    const rawLink = this.pax.get("linkpath") ?? this.longLink ?? cString(h, 157, 257);
    const paxSize = this.pax.get("size") ?? this.globalPax.get("size");
    const realSize = paxSize !== undefined ? Number(paxSize) : size;
    this.pax = new Map();
    this.longName = undefined;
    this.longLink = undefined;
    if (type === "1") throw hostile(`hard link ${JSON.stringify(rawPath)}`, this.label);
    if (type === "3" || type === "4") throw hostile(`device node ${JSON.stringify(rawPath)}`, this.label);
    if (type === "6") throw hostile(`FIFO ${JSON.stringify(rawPath)}`, this.label);
    let kind: TarEntryType;
    if (type === "0" || type === "\0" || type === "7") kind = "file";
    else if (type === "5") kind = "directory";
    else if (type === "2") kind = "symlink";
    else throw hostile(`unsupported entry type ${JSON.stringify(type)} for ${JSON.stringify(rawPath)}`, this.label);
    if (kind === "directory") rawPath = rawPath.replace(/\/+$/, "");
    const path = safeEntryPath(rawPath, this.label);
    if (this.seen.has(path)) throw hostile(`duplicate path ${path}`, this.label);
    this.seen.add(path);
    if (kind === "symlink") checkLinkTarget(path, rawLink, this.label);
    if (!Number.isSafeInteger(realSize) || realSize < 0) throw hostile(`bad size for ${path}`, this.label);
    const entry: TarEntry = {
      path,
      type: kind,
      mode: octal(h, 100, 108, this.label) & 0o777,
      size: kind === "file" ? realSize : 0,
      linkTarget: kind === "symlink" ? rawLink : "",
    };
    this.entries++;
    if (kind === "file") {
      this.files++;
      this.bytes += realSize;
    }
    const l = this.limits;
    if (l && (this.entries > l.entries || this.files > l.files || this.bytes > l.bytes)) {
      throw new BaleError(
        "archive-payload-oversized",
        `the payload holds more than its index declares (at ${path}: ${this.files} files / ${this.bytes} bytes so far, the index says ${l.files} / ${l.bytes}); refusing it unread (a decompression bomb, or a damaged archive)`,
        { file: this.label, fix: "do not run this archive; rebuild it with `bale pack`" },
      );
    }
    this.visitor.entry(entry);
    if (kind === "file") {
      this.bytesOfEntry = realSize;
      this.remaining = realSize;
      if (realSize === 0) this.finishData();
      else this.state = "data";
    } else {
      this.visitor.endEntry();
      // Non-file entries may still carry a (meaningless) body; skip it.
      if (size > 0) {
        this.state = "pad";
        this.padLeft = Math.ceil(size / BLOCK) * BLOCK;
      }
    }
  }
}

/** Kernel limit on symlinks followed in one lookup (Linux MAXSYMLINKS). */
const MAX_LINK_HOPS = 40;

/**
 * The tree an archive extracts to, as a model: explicit entries plus the parent directories they imply.
 * `checkLinks()` resolves every symlink the way the kernel does (component by component from the root,
 * a link met on the way replaced by its own resolution, `..` applied to the real directory reached so
 * far, a missing component ending the lookup) and refuses any whose lookup ever leaves the root. This
 * is what lets a lexical check be fooled: `d/.../d/b -> ../..` makes `app/x -> d/.../b/../../etc` climb
 * from where `b` really points, not from `d/.../d`. Used at pack time, at extract time and by verify.
 */
export class TreeModel {
  private readonly nodes = new Map<string, { type: TarEntryType; target: string }>();

  add(path: string, type: TarEntryType, target = ""): void {
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join("/");
      if (!this.nodes.has(d)) this.nodes.set(d, { type: "directory", target: "" });
    }
    this.nodes.set(path, { type, target });
  }

  /** Throws (with `code`) for the first symlink that resolves outside the root, or loops. */
  checkLinks(label: string, code: DiagnosticCode = "archive-hostile-entry", fix?: string): void {
    const fail = (what: string): BaleError =>
      new TarError(code, `refusing tar entry: ${what}`, {
        file: label,
        fix: fix ?? "the payload was not written by bale or was tampered with; rebuild the archive with `bale pack`",
      });
    for (const [path, n] of this.nodes) {
      if (n.type !== "symlink") continue;
      const parent = path.split("/").slice(0, -1);
      const hops = { n: 0 };
      this.resolve(parent, n.target, hops, () => fail(`symlink ${path} -> ${n.target} resolves outside the archive root`));
      if (hops.n > MAX_LINK_HOPS) throw fail(`symlink ${path} -> ${n.target} is a symlink loop`);
    }
  }

  /** Resolves `target` from the (real, link-free) directory `from`; null when a component is missing. */
  private resolve(from: string[], target: string, hops: { n: number }, escape: () => BaleError): string[] | null {
    if (target.startsWith("/")) throw escape();
    const stack = [...from];
    const comps = target.split("/").filter((c) => c !== "" && c !== ".");
    for (let i = 0; i < comps.length; i++) {
      const c = comps[i] as string;
      if (c === "..") {
        if (stack.length === 0) throw escape();
        stack.pop();
        continue;
      }
      stack.push(c);
      const node = this.nodes.get(stack.join("/"));
      if (!node) return null; // ENOENT: the lookup ends here, inside the root
      if (node.type === "symlink") {
        if (++hops.n > MAX_LINK_HOPS) return null;
        stack.pop();
        const r = this.resolve(stack, node.target, hops, escape);
        if (r === null) return null;
        stack.splice(0, stack.length, ...r);
      } else if (node.type === "file" && i < comps.length - 1) return null; // ENOTDIR
    }
    return stack;
  }
}

/** Pack time: the payload's symlinks, resolved as the kernel will once extracted, stay inside it. */
export function checkTreeLinks(entries: ReadonlyMap<string, { type: string; target?: string }>): void {
  const model = new TreeModel();
  for (const [path, e] of entries) model.add(path, e.type === "symlink" ? "symlink" : e.type === "directory" ? "directory" : "file", e.target ?? "");
  model.checkLinks("the payload", "pack-symlink-escape", "replace the symlink chain with a copy of the file (or a link that stays inside the project)");
}
