/**
 * The bad-input corpus of `bale gen`: every folder under test/fixtures/gen/bad/ is overlaid on a copy
 * of the greeter project (test/fixtures/bindings/greeter, with its compiled out/). `bale gen` must exit
 * 1 with one line naming the file and the error code, and write nothing: the project is byte for
 * byte as it was (no gen/ folder, no temp files).
 *
 * expect.json: code; file (as the error names it, run from the project root, or its absolute path); includes (text of the
 * error line); args (extra arguments after the root); root (the root argument, default "."); remove
 * (project files to delete before the run).
 */
import { describe, it, test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { generateBindings } from "../../src/bindings/index.js";
import { BaleError } from "../../src/errors.js";
import { ROOT, assertBadInput, bale, snapshot, tmp } from "../helpers.js";

const CORPUS = join(ROOT, "test/fixtures/gen/bad");
const BASE = join(ROOT, "test/fixtures/bindings/greeter");
const cases = readdirSync(CORPUS)
  .filter((n) => statSync(join(CORPUS, n)).isDirectory())
  .sort();

interface Expect {
  code: string;
  file?: string;
  includes: string[];
  args?: string[];
  root?: string;
  remove?: string[];
}

test("the gen corpus has at least 15 cases", () => {
  assert.ok(cases.length >= 15, `only ${cases.length} cases`);
});

describe("bad inputs to bale gen", { concurrency: 2 }, () => {
  for (const name of cases) {
    it(name, () => {
      const expect = JSON.parse(readFileSync(join(CORPUS, name, "expect.json"), "utf8")) as Expect;
      const proj = join(tmp(`bale-gen-bad-${name}-`), "proj");
      cpSync(BASE, proj, { recursive: true, filter: (src) => !src.startsWith(join(BASE, "golden")) });
      cpSync(join(CORPUS, name), proj, { recursive: true, filter: (src) => !src.endsWith("expect.json") });
      for (const p of expect.remove ?? []) rmSync(join(proj, p), { recursive: true });
      const before = snapshot(proj);
      const r = bale(["gen", expect.root ?? ".", ...(expect.args ?? [])], { cwd: proj });
      assertBadInput(r, expect, proj, true);
      assert.deepEqual(snapshot(proj), before, "bale gen changed the project");
    });
  }
});

test("the library refuses an empty language list [gen-lang]", () => {
  const proj = join(tmp("bale-gen-bad-lang-"), "proj");
  cpSync(BASE, proj, { recursive: true });
  assert.throws(
    () => generateBindings({ root: proj, langs: [] }),
    (e: unknown) => e instanceof BaleError && e.code === "gen-lang" && e.message === "no language chosen",
  );
  assert.throws(
    () => generateBindings({ root: proj, langs: ["cobol"] }),
    (e: unknown) => e instanceof BaleError && e.code === "gen-lang" && e.message === 'unknown language "cobol"',
  );
});
