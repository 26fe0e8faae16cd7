/**
 * The bad-input corpus: every folder under test/fixtures/config/bad/ (except _base) is overlaid
 * on the _base project after a good build. The build (or check) must exit 1, name the file and
 * line and the error code, and leave <out> byte for byte as it was.
 */
import { describe, it, before, test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, bale, snapshot, tmp } from "../helpers.js";

const CORPUS = join(ROOT, "test/fixtures/config/bad");
const cases = readdirSync(CORPUS)
  .filter((n) => n !== "_base" && statSync(join(CORPUS, n)).isDirectory())
  .sort();
/** BALE_CASES=a,b runs only those cases (while working on them). */
const only = process.env.BALE_CASES?.split(",");

interface Expect {
  code: string;
  file: string;
  line: number;
  includes: string[];
  /** Text that must not appear anywhere in the output (e.g. contents of a file outside the root). */
  excludes?: string[];
  /** Symlinks to create in the project (path -> target, as given), replacing any file there. */
  links?: Record<string, string>;
  command?: "build" | "check";
}

let built: string;
let goodOut: Record<string, string>;

before(() => {
  built = tmp("bale-bad-base-");
  cpSync(join(CORPUS, "_base"), join(built, "proj"), { recursive: true });
  const r = bale(["config", "build", join(built, "proj")]);
  assert.equal(r.status, 0, r.stderr);
  goodOut = snapshot(join(built, "proj/out"));
  assert.ok(goodOut["configs/good.json"] && goodOut["bale-manifest.json"] && goodOut[".bale-cache.json"]);
});

test("the corpus has at least 30 cases", { skip: only !== undefined }, () => {
  assert.ok(cases.length >= 30, `only ${cases.length} cases`);
});

describe("bad inputs", { concurrency: 3 }, () => {
  for (const name of cases) {
    it(name, { skip: only !== undefined && !only.includes(name) }, () => {
      const expect = JSON.parse(readFileSync(join(CORPUS, name, "expect.json"), "utf8")) as Expect;
      const dir = tmp(`bale-bad-${name}-`);
      cpSync(join(built, "proj"), join(dir, "proj"), { recursive: true });
      writeFileSync(join(dir, "outside.json"), '"outside"\n');
      writeFileSync(join(dir, "secret.env"), "PASSWORD=hunter2\n");
      writeFileSync(join(dir, "outside.config.ts"), 'import { AppConfig } from "bale:schemas";\nexport default AppConfig({ name: "hunter2", env: "dev", port: 1 });\n');
      const proj = join(dir, "proj");
      cpSync(join(CORPUS, name), proj, { recursive: true, filter: (src) => !src.endsWith("expect.json") });
      for (const [path, target] of Object.entries(expect.links ?? {})) {
        rmSync(join(proj, path), { force: true });
        symlinkSync(target, join(proj, path));
      }
      const r = bale(["config", expect.command ?? "build", proj], { cwd: proj });
      const text = r.stderr;
      assert.equal(r.status, 1, `exit code\n${text}${r.stdout}`);
      const first = text.split("\n").find((l) => l.includes(`[${expect.code}]`));
      assert.ok(first, `no error with code ${expect.code}:\n${text}`);
      assert.ok(first.startsWith(`bale: error: ${expect.file}:${expect.line}:`), `file and line: expected ${expect.file}:${expect.line}, got:\n${first}`);
      for (const s of expect.includes) assert.ok(text.includes(s), `message should include ${JSON.stringify(s)}:\n${text}`);
      for (const s of expect.excludes ?? []) assert.ok(!(text + r.stdout).includes(s), `output must not include ${JSON.stringify(s)}:\n${text}`);
      assert.match(first, /Fix: /, "every error carries a fix");
      assert.deepEqual(snapshot(join(proj, "out")), goodOut, "<out> must be left untouched");
      assert.deepEqual(
        readdirSync(proj).filter((n) => n.includes(".bale-")),
        [],
        "no temp dirs left behind",
      );
      assert.ok(!existsSync(join(proj, "out.tmp")));
    });
  }
});
