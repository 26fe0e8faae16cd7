import { test } from "node:test";
import assert from "node:assert/strict";
import { BaleError } from "../../src/errors.js";

test("BaleError.oneLine names file, line, column, fix and code", () => {
  const e = new BaleError("config-syntax", "something is wrong", { file: "a/b.ts", line: 3, column: 7, fix: "do the thing" });
  assert.equal(e.oneLine(), "a/b.ts:3:7: something is wrong. Fix: do the thing. [config-syntax]");
});

test("BaleError.oneLine without a file", () => {
  const e = new BaleError("config-throw", "plain");
  assert.equal(e.oneLine(), "plain. [config-throw]");
});

test("a code that is not in the catalog does not type-check", () => {
  // `npm run typecheck` fails if this line stops being an error (the code parameter is DiagnosticCode).
  // @ts-expect-error: "demo-code" is not a DiagnosticCode
  const e = new BaleError("demo-code", "plain");
  assert.equal(e.code, "demo-code");
});
