/**
 * The Node.js runtime an archive may carry (`--runtime`): where the binary comes from, its identity,
 * and its compressed form with the decoder that unpacks it on a host without node.
 *
 *   "system"      no runtime: the archive runs on the host's node (format 1, the default)
 *   "22", "22.23" the newest matching version of the npm package node-<platform> (real node binaries)
 *   "22.23.5"     that exact version
 *   "./bin/node"  a node binary the user has (any path with a "/")
 *
 * Downloads and compressed runtimes are cached in the packer's cache (`<pack cache>/runtimes`, see
 * packCacheDir: $BALE_PACK_CACHE_DIR, else ~/.cache/bale-pack), so the npm registry is asked once per version and level 19 (~40 s for
 * 120 MB) is paid once per binary. An exact version already in the cache needs no network.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { extract as tarExtract } from "tar-stream";
import type { Env } from "../archive/paths.js";
import { sha256 } from "../archive/io.js";
import { elfPlatform, ensurePrivateDir, hostPlatform, packCacheDir } from "./target.js";
import type { Platform, RuntimeInfo } from "../archive/format.js";
import { writeFileAtomic } from "../atomic.js";
import { BaleError } from "../errors.js";
import { mkdirp } from "../fsutil.js";
import { checkRuntimeLevel, compressRuntime, DEFAULT_RUNTIME_LEVEL } from "./zstd.js";
import { diag, userIo } from "../diagnostics/create.js";

export type RuntimeSpec = { kind: "system" } | { kind: "npm"; range: string } | { kind: "file"; path: string };

export interface EmbeddedRuntime {
  info: RuntimeInfo;
  /** The runtime segment: the node binary as one zstd frame. */
  compressed: Buffer;
  /** The decoder segment: bale-unzstd for the platform. */
  decoder: Buffer;
}

export function parseRuntimeSpec(spec: string): RuntimeSpec {
  if (spec === "system") return { kind: "system" };
  if (spec.includes("/")) return { kind: "file", path: spec };
  if (/^\d+(\.\d+){0,2}$/.test(spec)) return { kind: "npm", range: spec };
  throw diag("pack-bad-runtime", { spec: JSON.stringify(spec) });
}

/** Downloaded and compressed runtimes: `<pack cache>/runtimes` (the packer's cache, shared with --target's staging installs). */
export function runtimeCacheDir(env: Env = process.env): string {
  return join(packCacheDir(env as NodeJS.ProcessEnv), "runtimes");
}


// ---- the decoder ----

/** bale-unzstd for `platform`, built by `npm run build` (beside this module in dist/, or dist/ from src/). */
export function decoderFor(platform: Platform): Buffer {
  const here = dirname(fileURLToPath(import.meta.url));
  const name = `unzstd-${platform}`;
  for (const c of [join(here, "../runtime-stub", name), join(here, "../../dist/runtime-stub", name)]) {
    if (existsSync(c)) return readFileSync(c);
  }
  throw diag(platform === hostPlatform() ? "pack-runtime-decoder" : "pack-runtime-decoder:cross", { platform });
}

// ---- finding the binary ----

function runNpm(args: string[], what: string, notFound?: () => BaleError): string {
  try {
    return execFileSync("npm", args, {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 300_000,
      env: { ...process.env, npm_config_loglevel: "error", npm_config_update_notifier: "false", npm_config_fund: "false" },
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    const text = err.stderr ?? err.message;
    if (notFound && /\b(E404|ETARGET)\b/.test(text)) throw notFound();
    const first = text.split("\n").find((l) => l.trim() !== "") ?? "";
    throw diag("pack-runtime-download", { what, reason: first.trim() });
  }
}

function cmpVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

const matches = (version: string, range: string): boolean => version === range || version.startsWith(`${range}.`);

/** Versions of node-<platform> already downloaded into the packer cache. */
function cachedVersions(dir: string, platform: Platform): string[] {
  try {
    return readdirSync(dir)
      .map((n) => new RegExp(`^node-${platform}-(\\d+\\.\\d+\\.\\d+)$`).exec(n)?.[1])
      .filter((v): v is string => v !== undefined && existsSync(join(dir, `node-${platform}-${v}`, "node")));
  } catch {
    return [];
  }
}

/** The exact version a range names: the registry's newest match; offline, the newest cached match. */
function resolveVersion(range: string, platform: Platform, dir: string): string {
  const pkg = `node-${platform}`;
  if (/^\d+\.\d+\.\d+$/.test(range) && cachedVersions(dir, platform).includes(range)) return range;
  const none = (): BaleError =>
    diag("pack-runtime-version:registry", { pkg, range });
  let listed: string[];
  try {
    const out = runNpm(["view", `${pkg}@${range}`, "version", "--json"], `look up ${pkg}@${range} in the npm registry`, none).trim();
    const v = out === "" ? [] : (JSON.parse(out) as string | string[]);
    listed = Array.isArray(v) ? v : [v];
  } catch (e) {
    if (e instanceof BaleError && e.code === "pack-runtime-version") throw e;
    const cached = cachedVersions(dir, platform).filter((v) => matches(v, range));
    if (cached.length > 0) return cached.sort(cmpVersions).at(-1) as string;
    throw e;
  }
  const found = listed.filter((v) => /^\d+\.\d+\.\d+$/.test(v) && matches(v, range)).sort(cmpVersions).at(-1);
  if (!found) throw none();
  return found;
}

async function untarNode(tgz: Buffer, into: string): Promise<boolean> {
  const ex = tarExtract();
  let found = false;
  const done = new Promise<void>((res, rej) => {
    ex.on("entry", (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: unknown) => void chunks.push(c as Buffer));
      stream.on("end", () => {
        if (header.name === "package/bin/node" && header.type === "file") {
          writeFileSync(into, Buffer.concat(chunks), { mode: 0o755 });
          found = true;
        }
        next();
      });
      stream.on("error", rej);
    });
    ex.on("finish", () => res());
    ex.on("error", rej);
  });
  ex.end(gunzipSync(tgz));
  await done;
  return found;
}

/** node-<platform>@<version>'s binary, downloaded once into the packer cache. */
async function npmNode(version: string, platform: Platform, dir: string): Promise<string> {
  const final = join(dir, `node-${platform}-${version}`);
  const bin = join(final, "node");
  if (existsSync(bin)) return bin;
  mkdirp(dir, 0o700);
  const work = mkdtempSync(join(dir, `.download-${platform}-${version}-`));
  try {
    const spec = `node-${platform}@${version}`;
    const out = runNpm(["pack", spec, "--pack-destination", work, "--json"], `download ${spec} from the npm registry`);
    const file = (JSON.parse(out) as Array<{ filename: string }>)[0]?.filename;
    if (!file) throw new Error(`internal: npm pack ${spec} printed no file name`);
    const into = join(work, "node");
    if (!(await untarNode(readFileSync(join(work, file)), into))) {
      throw diag("pack-runtime-download:no-bin", { spec });
    }
    rmSync(join(work, file));
    try {
      renameSync(work, final);
    } catch (e) {
      if (!existsSync(bin)) throw e; // another pack finished the same download first: use theirs
    }
    return bin;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function versionOf(file: string, platform: Platform): string {
  if (platform === hostPlatform()) {
    try {
      const v = execFileSync(file, ["--version"], { encoding: "utf8", timeout: 30_000, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } }).trim();
      if (/^v\d+\.\d+\.\d+$/.test(v)) return v.slice(1);
    } catch {
      /* fall through: read it from the binary */
    }
  }
  // A foreign binary cannot run here: node keeps its version as a NUL-terminated "vX.Y.Z".
  const found = new Set(readFileSync(file).toString("latin1").match(/(?<=\0v)\d{1,3}\.\d{1,3}\.\d{1,4}(?=\0)/g) ?? []);
  return found.size === 1 ? ([...found][0] as string) : "unknown";
}

function fileNode(path: string, cwd: string, platform: Platform): { bin: string; version: string } {
  const bin = resolve(cwd, path);
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(bin);
  } catch (e) {
    userIo(e, "pack-runtime-missing", {}, bin);
  }
  const p = st.isFile() ? elfPlatform(bin) : null;
  if (p === null) {
    throw diag("pack-runtime-not-node", {}, { file: bin });
  }
  if (p !== platform) {
    throw diag("pack-runtime-platform", { platform: p, target: platform }, { file: bin });
  }
  return { bin, version: versionOf(bin, platform) };
}

/** The runtime segment for `bin` at `level`, compressed once per binary and level, then cached. */
async function compressedRuntime(bin: Buffer, hash: string, level: number, dir: string): Promise<Buffer> {
  const file = join(dir, "zst", `${hash}-l${level}.zst`);
  if (existsSync(file)) {
    const cached = readFileSync(file);
    // The cache holds the bytes and their hash side by side; a damaged entry is made again.
    if (existsSync(`${file}.sha256`) && readFileSync(`${file}.sha256`, "utf8").trim() === sha256(cached)) return cached;
  }
  const data = await compressRuntime(bin, level);
  mkdirp(dirname(file), 0o700);
  writeFileAtomic(file, data);
  writeFileAtomic(`${file}.sha256`, `${sha256(data)}\n`);
  return data;
}

export interface RuntimeOptions {
  spec: string;
  platform: Platform;
  /** zstd level of the runtime segment (default 19). */
  level?: number;
  cwd: string;
  env?: Env;
  /** Called with the runtime's identity before the (slow, cached) compression: throw to refuse it. */
  check?: (info: RuntimeInfo) => void;
}

/** The runtime to embed, or null for "system". */
export async function prepareRuntime(o: RuntimeOptions): Promise<EmbeddedRuntime | null> {
  const spec = parseRuntimeSpec(o.spec);
  if (spec.kind === "system") return null;
  checkRuntimeLevel(o.level ?? DEFAULT_RUNTIME_LEVEL);
  const decoder = decoderFor(o.platform);
  const dir = runtimeCacheDir(o.env);
  // Before the download and the minute of compression: an unusable cache is the user's to fix, now.
  ensurePrivateDir(dir);
  let bin: string;
  let version: string;
  let source: string;
  if (spec.kind === "file") {
    ({ bin, version } = fileNode(spec.path, o.cwd, o.platform));
    source = "file";
  } else {
    version = resolveVersion(spec.range, o.platform, dir);
    bin = await npmNode(version, o.platform, dir);
    source = `npm:node-${o.platform}@${version}`;
  }
  const raw = readFileSync(bin);
  const info: RuntimeInfo = { version, platform: o.platform, sha256: sha256(raw), size: raw.length, source };
  o.check?.(info);
  const compressed = await compressedRuntime(raw, info.sha256, o.level ?? DEFAULT_RUNTIME_LEVEL, dir);
  return { info, compressed, decoder };
}
