/**
 * `bale config check`: type-checks the project with `tsc` (the typescript package's own
 * binary, so a native typescript@7 `tsc` works the same way) and evaluates and validates every
 * script, writing nothing but bale-env.d.ts.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BaleErrors, type BaleError } from "../errors.js";
import { build, prepare } from "./build.js";
import { codeFrame } from "./diagnostics.js";
import { discover } from "./discover.js";
import { ENV_DTS } from "./env-dts.js";
import { validateOptions } from "../options.js";
import { diag } from "../diagnostics/create.js";

export interface CheckOptions {
  root?: string;
  /** Skip the TypeScript type check (default false). */
  noTypeCheck?: boolean;
  workers?: number;
  timeoutMs?: number;
  memoryLimitMb?: number;
}

export interface CheckReport {
  root: string;
  /** Scripts evaluated and validated. */
  checked: string[];
  /** Files given to tsc. */
  typeChecked: string[];
  timings: { typeCheckMs: number; evaluateMs: number; totalMs: number };
}

/** Type-checks and validates every script under `root`; throws BaleErrors listing every problem. */
export async function checkConfigs(o: CheckOptions = {}): Promise<CheckReport> {
  validateOptions("checkConfigs", o);
  const t0 = performance.now();
  const { noTypeCheck, ...compile } = o;
  const p = prepare({ ...compile, out: join(resolve(o.root ?? "."), "out"), incremental: false });
  const root = p.root;
  const errors: BaleError[] = [];
  let checked: string[] = [];
  // Evaluation first: it also (re)generates bale-env.d.ts, which tsc needs.
  const te = performance.now();
  const found = discover(root, p.out);
  try {
    const r = await build(p, {}, false, found);
    checked = r.evaluated;
  } catch (e) {
    if (e instanceof BaleErrors) errors.push(...e.errors);
    else throw e;
  }
  const evaluateMs = performance.now() - te;
  const tt = performance.now();
  let typeChecked: string[] = [];
  if (!noTypeCheck && existsSync(join(root, ENV_DTS))) {
    typeChecked = [ENV_DTS, ...found.scripts, ...found.validators];
    const typeErrors = await typeCheck(root, typeChecked);
    // Evaluation errors come first; a type error on the same line says the same thing less clearly.
    errors.unshift(...typeErrors);
  }
  const typeCheckMs = performance.now() - tt;
  if (errors.length) throw new BaleErrors(errors);
  return {
    root,
    checked,
    typeChecked,
    timings: { typeCheckMs: Math.round(typeCheckMs), evaluateMs: Math.round(evaluateMs), totalMs: Math.round(performance.now() - t0) },
  };
}

/** Path of the `tsc` bin of the installed typescript package. */
export function tscPath(): string {
  try {
    return createRequire(import.meta.url).resolve("typescript/bin/tsc");
  } catch {
    throw diag("config-typescript-missing", {}, { file: "typescript" });
  }
}

/**
 * Runs `tsc --noEmit` over the given root-relative files with a generated tsconfig. The
 * project's own tsconfig.json, if any, is extended (its files/include are replaced).
 */
export async function typeCheck(root: string, files: string[]): Promise<BaleError[]> {
  const dir = mkdtempSync(join(tmpdir(), "bale-check-"));
  try {
    const tsconfig = join(dir, "tsconfig.json");
    const own = join(root, "tsconfig.json");
    const config = {
      ...(existsSync(own) ? { extends: own } : {}),
      compilerOptions: {
        ...(existsSync(own)
          ? {}
          : {
              target: "ES2022",
              lib: ["ES2022"],
              module: "ESNext",
              moduleResolution: "Bundler",
              strict: true,
              resolveJsonModule: true,
              allowImportingTsExtensions: true,
              skipLibCheck: true,
            }),
        types: [],
        noEmit: true,
        pretty: false,
      },
      files: files.map((f) => join(root, f)),
      include: [],
    };
    writeFileSync(tsconfig, JSON.stringify(config, null, 2));
    const { stdout, code } = await new Promise<{ stdout: string; code: number }>((res) => {
      execFile(process.execPath, [tscPath(), "-p", tsconfig, "--pretty", "false"], { cwd: root, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
        res({ stdout: stdout + stderr, code: err ? ((err as { code?: number }).code ?? 1) : 0 });
      });
    });
    if (code === 0) return [];
    return parseTscOutput(root, stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Parses `file(line,col): error TS1234: message` lines (continuation lines become details). */
export function parseTscOutput(root: string, text: string): BaleError[] {
  const out: BaleError[] = [];
  let last: { file: string; line: number; column: number; code: string; message: string; more: string[] } | undefined;
  const flush = (): void => {
    if (!last) return;
    const file = last.file.startsWith(root + "/") ? last.file.slice(root.length + 1) : last.file;
    out.push(
      diag("config-type-error", { code: last.code, message: last.message }, {
        file,
        line: last.line,
        column: last.column,
        details: [...last.more, ...codeFrame(join(root, file), last.line, last.column)],
      }),
    );
    last = undefined;
  };
  for (const line of text.split(/\r?\n/)) {
    const m = /^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/.exec(line);
    if (m) {
      flush();
      last = { file: m[1] as string, line: Number(m[2]), column: Number(m[3]), code: m[4] as string, message: m[5] as string, more: [] };
    } else if (last && line.trim()) last.more.push(line.trim());
    else if (!last && /error TS\d+/.test(line)) out.push(diag("config-type-error:config", { text: line.trim() }, { file: "tsconfig.json" }));
  }
  flush();
  return out;
}
