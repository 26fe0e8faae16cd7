/**
 * The bad-input corpus of `bale pack`: every folder under test/fixtures/pack/bad/ (except _base) is
 * overlaid on _base (a package.json and main.js) in a temp dir, and `bale pack ARGS` runs there. It
 * must exit 1 with one line naming the file (where expect.json gives one) and the error code, with a
 * fix, and write nothing: the project is byte for byte as it was (no archive, no temp files).
 *
 * expect.json: args (after `pack`; "{node}" is this node binary, "{foreign}" the --target that is
 * not this machine's); code; file (as the error names
 * it, run from the project; a path ending in it also counts); includes (text of the error line);
 * env ("{proj}" is the project dir); mkdirs (empty directories to create, git keeps none);
 * needsNoBuiltinZstd (skipped on a node with built-in zstd); files (path -> text, written into the
 * project first: node_modules, which git does not keep).
 *
 * A case with "warning": true is a pack warning instead (a catalog code of severity "warning"): the
 * pack succeeds ("{out}" is an output path outside the project), stderr has one `warning: ... [code]`
 * line with the `includes`, and the project is still as it was.
 */
import { describe, it, test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import zlib from "node:zlib";
import { pack } from "../../src/pack/index.js";
import { BaleError } from "../../src/errors.js";
import { ROOT, assertBadInput, bale, env, snapshot, tmp } from "../helpers.js";
import { DIAGNOSTICS, type DiagnosticCode } from "../../src/diagnostics/catalog.js";
import { UNTRIGGERED } from "../untriggered.js";

const CORPUS = join(ROOT, "test/fixtures/pack/bad");
const cases = readdirSync(CORPUS)
  .filter((n) => n !== "_base" && statSync(join(CORPUS, n)).isDirectory())
  .sort();
/** BALE_CASES=a,b runs only those cases (while working on them). */
const only = process.env.BALE_CASES?.split(",");

interface Expect {
  args: string[];
  code: string;
  file?: string;
  includes: string[];
  env?: Record<string, string>;
  mkdirs?: string[];
  /** The case needs a node without built-in zstd (< 22.15): there BALE_ZSTD_IMPL=zstd-wasm leaves no LDM compressor. */
  needsNoBuiltinZstd?: boolean;
  files?: Record<string, string>;
  warning?: boolean;
}

const builtinZstd = typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync === "function";

test("the pack corpus has at least 20 cases", () => {
  assert.ok(cases.length >= 20, `only ${cases.length} cases`);
});

test("the pack corpus triggers every warning code of pack (but those test/untriggered.ts says why not)", () => {
  const warnings = Object.entries(DIAGNOSTICS).filter(([c, d]) => d.area === "pack" && d.severity === "warning" && UNTRIGGERED[c as DiagnosticCode] === undefined);
  const corpus = new Set(cases.map((n) => (JSON.parse(readFileSync(join(CORPUS, n, "expect.json"), "utf8")) as Expect).code));
  assert.deepEqual(warnings.map(([c]) => c).filter((c) => !corpus.has(c)), []);
});

describe("bad inputs to bale pack", { concurrency: 2 }, () => {
  for (const name of cases) {
    const expect = JSON.parse(readFileSync(join(CORPUS, name, "expect.json"), "utf8")) as Expect;
    const skip = only !== undefined && !only.includes(name) ? true : expect.needsNoBuiltinZstd && builtinZstd ? "this node has built-in zstd" : false;
    it(name, { skip }, () => {
      const dir = tmp(`bale-pack-bad-${name}-`);
      const proj = join(dir, "proj");
      cpSync(join(CORPUS, "_base"), proj, { recursive: true });
      cpSync(join(CORPUS, name), proj, { recursive: true, filter: (src) => !src.endsWith("expect.json") });
      for (const d of expect.mkdirs ?? []) mkdirSync(join(proj, d), { recursive: true });
      for (const [f, text] of Object.entries(expect.files ?? {})) {
        mkdirSync(dirname(join(proj, f)), { recursive: true });
        writeFileSync(join(proj, f), text);
      }
      const foreign = process.arch === "arm64" ? "linux-x64" : "linux-arm64";
      const vars = (s: string): string =>
        s.replaceAll("{node}", process.execPath).replaceAll("{proj}", proj).replaceAll("{foreign}", foreign).replaceAll("{out}", join(dir, "out", "app"));
      const extra: Record<string, string> = { BALE_PACK_CACHE_DIR: join(dir, "pack-cache"), BALE_CACHE_DIR: join(dir, "cache") };
      for (const [k, v] of Object.entries(expect.env ?? {})) extra[k] = vars(v);
      const before = snapshot(proj);
      const r = bale(["pack", ...expect.args.map(vars)], { cwd: proj, env: env(extra) });
      if (expect.warning) {
        assert.equal(r.status, 0, r.stderr);
        const line = r.stderr.split("\n").find((l) => l.includes(`[${expect.code}]`));
        assert.ok(line, `no warning with code ${expect.code}:\n${r.stderr}`);
        assert.ok(line.startsWith("  warning: "), line);
        for (const text of expect.includes) assert.ok(line.includes(text), `${JSON.stringify(text)} not in: ${line}`);
        assert.ok(statSync(join(dir, "out", "app")).isFile());
      } else assertBadInput(r, expect, proj, false);
      assert.deepEqual(snapshot(proj), before, "bale pack changed the project");
    });
  }
});

test("the library refuses an unknown option [pack-bad-option]", async () => {
  const proj = join(tmp("bale-pack-bad-option-"), "proj");
  cpSync(join(CORPUS, "_base"), proj, { recursive: true });
  await assert.rejects(
    pack({ entry: join(proj, "main.js"), cwd: proj, levle: 3 } as Parameters<typeof pack>[0]),
    (e: unknown) => e instanceof BaleError && e.code === "pack-bad-option" && e.message === 'unknown pack option "levle"',
  );
});
