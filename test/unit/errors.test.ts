import { test } from "node:test";
import assert from "node:assert/strict";
import { BaleError } from "../../src/errors.js";

test("BaleError.oneLine names file, line, column, fix and code", () => {
  const e = new BaleError("demo-code", "something is wrong", { file: "a/b.ts", line: 3, column: 7, fix: "do the thing" });
  assert.equal(e.oneLine(), "a/b.ts:3:7: something is wrong. Fix: do the thing. [demo-code]");
});

test("BaleError.oneLine without a file", () => {
  const e = new BaleError("x", "plain");
  assert.equal(e.oneLine(), "plain. [x]");
});
