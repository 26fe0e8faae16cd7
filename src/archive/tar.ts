/**
 * A small, strict POSIX tar reader (ustar + pax + GNU long names), push-based so
 * the extractor can feed it decompressed chunks as they arrive.
 *
 * It refuses anything an app payload never needs and an attacker might use:
 * absolute paths, `..` segments, NUL bytes, hard links, devices and FIFOs,
 * symlinks whose target leaves the extraction root, duplicate paths.
 */
import { BaleError } from "../errors.js";

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
  if (raw.includes("\0")) throw hostile(`path ${JSON.stringify(raw)} contains a NUL byte`, label);
  if (raw.startsWith("/")) throw hostile(`absolute path ${JSON.stringify(raw)}`, label);
  const parts: string[] = [];
  for (const seg of raw.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") throw hostile(`path ${JSON.stringify(raw)} climbs out with ".."`, label);
    parts.push(seg);
  }
  if (parts.length === 0) throw hostile(`empty path ${JSON.stringify(raw)}`, label);
  return parts.join("/");
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
  ) {}

  push(chunk: Uint8Array): void {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let pos = 0;
    while (pos < buf.length) {
      switch (this.state) {
        case "end":
          // Trailing zero padding after the end-of-archive marker is allowed; anything else is not.
          for (; pos < buf.length; pos++) if (buf[pos] !== 0) throw hostile("data after the end-of-archive marker", this.label);
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
