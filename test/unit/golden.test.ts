/** The golden-file helper: a mismatch fails and leaves `.actual` beside the golden; a test never rewrites a golden. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { assertGolden, assertGoldenTree } from "../golden.js";
import { tmp } from "../helpers.js";

test("assertGolden: a mismatch fails, writes <golden>.actual and leaves the golden as it was; a match removes a stale .actual", () => {
  const dir = tmp();
  const g = join(dir, "x.golden.txt");
  writeFileSync(g, "old\n");
  assert.throws(() => assertGolden(g, "new\n"), /x\.golden\.txt differs .*npm run update-goldens/);
  assert.equal(readFileSync(g, "utf8"), "old\n");
  assert.equal(readFileSync(`${g}.actual`, "utf8"), "new\n");
  assertGolden(g, "old\n");
  assert.equal(existsSync(`${g}.actual`), false);
});

test("assertGoldenTree: a changed, new or missing file fails and writes the whole produced tree to <golden>.actual/", () => {
  const dir = tmp();
  const g = join(dir, "tree");
  mkdirSync(join(g, "sub"), { recursive: true });
  writeFileSync(join(g, "a.txt"), "a");
  writeFileSync(join(g, "sub/b.txt"), "b");
  assertGoldenTree(g, new Map([["a.txt", "a"], ["sub/b.txt", "b"]]));
  assert.throws(() => assertGoldenTree(g, new Map([["a.txt", "A"], ["c.txt", "c"]])), /changed or new: a\.txt, c\.txt; gone: sub\/b\.txt/);
  assert.equal(readFileSync(join(g, "a.txt"), "utf8"), "a");
  assert.equal(readFileSync(join(`${g}.actual`, "c.txt"), "utf8"), "c");
});
