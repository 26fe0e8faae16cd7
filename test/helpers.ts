/** Shared test helpers: temp dirs, running the built CLI and packed archives as real processes. */
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import assert from "node:assert/strict";
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after } from "node:test";

export const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
export const CLI = join(ROOT, "dist/cli/main.js");
export const NODE22 = join(ROOT, "test/node-versions/node_modules/node22/bin/node");
export const NODE24 = join(ROOT, "test/node-versions/node_modules/node24/bin/node");

if (!existsSync(CLI)) throw new Error("dist/ is missing: run `npm run build` first (npm test does)");

const dirs: string[] = [];
after(() => {
  if (process.env.BALE_KEEP_TMP) return;
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh temp dir, removed when the test file ends (set BALE_KEEP_TMP=1 to keep). */
export function tmp(prefix = "bale-test-"): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** The environment archives and the CLI run with: no CA certs overhead, given cache dir. */
export function env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete e.NODE_EXTRA_CA_CERTS;
  delete e.NODE_OPTIONS;
  for (const [k, v] of Object.entries(extra)) if (v === undefined) delete e[k];
  return e;
}

export interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function toRun(r: SpawnSyncReturns<string>): Run {
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `bale <args>` (the built CLI) synchronously. */
/** A process that runs longer than this fails its test (ETIMEDOUT) instead of hanging the suite. */
const TIMEOUT_MS = 180_000;

export function bale(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; node?: string; timeoutMs?: number } = {}): Run {
  return toRun(
    spawnSync(opts.node ?? process.execPath, [CLI, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: opts.env ?? env(),
      encoding: "utf8",
      maxBuffer: 64 << 20,
      timeout: opts.timeoutMs ?? TIMEOUT_MS,
    }),
  );
}

/** Runs a program (e.g. a packed archive) synchronously. */
export function run(file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string; timeoutMs?: number } = {}): Run {
  return toRun(
    spawnSync(file, args, {
      env: opts.env ?? env(),
      encoding: "utf8",
      input: opts.input ?? "",
      cwd: opts.cwd ?? ROOT,
      maxBuffer: 64 << 20,
      timeout: opts.timeoutMs ?? TIMEOUT_MS,
    }),
  );
}

/** Runs a program asynchronously; resolves when it exits. */
export function runAsync(file: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(file, args, { env: opts.env ?? env(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    p.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    p.on("error", reject);
    p.on("close", (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

/** Packs `entry` into `output` with the built CLI and asserts it worked. */
export function packOk(entry: string, output: string, extra: string[] = [], opts: { cwd?: string; env?: NodeJS.ProcessEnv; node?: string } = {}): Run {
  const r = bale(["pack", entry, "-o", output, ...extra], opts);
  if (r.status !== 0) throw new Error(`bale pack failed (${r.status}):\n${r.stderr}${r.stdout}`);
  return r;
}

export function which(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
}

/** The app entries in a cache directory (named by the first 32 hex digits of their app ids). */
export function appDirs(cache: string): string[] {
  return existsSync(cache) ? readdirSync(cache).filter((n) => /^[0-9a-f]{32}$/.test(n)) : [];
}

/** Polls `cond` every 20 ms until it holds or `timeoutMs` passes; returns whether it held. */
export function waitUntil(cond: () => boolean, timeoutMs = 20_000): boolean {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) return false;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  return true;
}

/**
 * Waits (up to `timeoutMs`) until the cache directory `dir` (an app entry or a runtime) has its synced
 * marker and no marker of this boot left: a first run's background `sync -f` renames the one to the other.
 */
export function waitSynced(dir: string, timeoutMs = 20_000): void {
  const done = (): boolean => existsSync(join(dir, ".bale-ok")) && !readdirSync(dir).some((n) => n.startsWith(".bale-ok-"));
  if (!waitUntil(done, timeoutMs)) assert.fail(`${dir}: the background sync did not publish .bale-ok within ${timeoutMs} ms (${readdirSync(dir).join(" ")})`);
}

/** Every file and directory under dir (relative path -> bytes as base64; directories as "dir"), dot-files included. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (lstatSync(p).isDirectory()) {
        out[`${relative(dir, p)}/`] = "dir";
        walk(p);
      } else out[relative(dir, p)] = readFileSync(p).toString("base64");
    }
  };
  walk(dir);
  return out;
}

/**
 * A bad-input case's answer: exit 1 and one `bale: error: ` line with the code, naming `file` (as
 * given, relative to `proj`, or as its absolute path; with `colon`, followed by ": "), with a fix and
 * each of `includes`.
 */
export function assertBadInput(r: Run, expect: { code: string; file?: string; includes: string[] }, proj: string, colon = true): void {
  assert.equal(r.status, 1, `exit code\n${r.stderr}${r.stdout}`);
  const line = r.stderr.split("\n").find((l) => l.includes(`[${expect.code}]`));
  assert.ok(line, `no error with code ${expect.code}:\n${r.stderr}`);
  assert.ok(line.startsWith("bale: error: "), line);
  const end = colon ? ": " : "";
  const names = (f: string): boolean => line.startsWith(`bale: error: ${f}${end}`) || line.startsWith(`bale: error: ${join(proj, f)}${end}`);
  if (expect.file !== undefined) assert.ok(names(expect.file), `does not name ${expect.file}: ${line}`);
  assert.match(line, /Fix: /);
  for (const text of expect.includes) assert.ok(line.includes(text), `${JSON.stringify(text)} not in: ${line}`);
}
