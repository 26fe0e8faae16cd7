/**
 * bale.config.json is checked by a hand-written function (so that a build needs no ajv for it);
 * it must say yes and no exactly where ajv, on the published schema, does.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { PROJECT_FILE_SCHEMA, projectFileProblem } from "../../src/config-compiler/discover.js";
import { makeAjv } from "../../src/config-compiler/ajv.js";

const CASES: unknown[] = [
  {},
  { $schema: "./x.json" },
  { $schema: 1 },
  { allowPackages: [] },
  { allowPackages: ["lodash", "@scope/pkg"] },
  { allowPackages: [""] },
  { allowPackages: ["a", 1] },
  { allowPackages: "lodash" },
  { timeoutMs: 1 },
  { timeoutMs: 0 },
  { timeoutMs: 1.5 },
  { timeoutMs: "100" },
  { timeoutMs: 1e3 },
  { memoryLimitMb: 16 },
  { memoryLimitMb: 15 },
  { memoryLimitMb: -16 },
  { memoryLimitMb: 1024, timeoutMs: 20, allowPackages: ["x"] },
  { timeout: 5 },
  { allowPackages: ["x"], extra: true },
  [],
  null,
  "x",
  3,
  { ["__proto__"]: 1 },
  JSON.parse('{"__proto__": {"a": 1}}'),
  { toString: "x" },
];

test("projectFileProblem agrees with ajv on PROJECT_FILE_SCHEMA", () => {
  const ajvCheck = makeAjv([]).compile(PROJECT_FILE_SCHEMA);
  for (const c of CASES) {
    assert.equal(projectFileProblem(c) === undefined, ajvCheck(c), `case ${JSON.stringify(c)}`);
  }
});

test("projectFileProblem names the key that is wrong and how", () => {
  assert.deepEqual(projectFileProblem({ timeoutMs: 0 }), { kind: "bad-value", key: "timeoutMs" });
  assert.deepEqual(projectFileProblem({ timeout: 5 }), { kind: "unknown-key", key: "timeout" });
  assert.deepEqual(projectFileProblem([]), { kind: "not-object" });
});
