import { test } from "node:test";
import assert from "node:assert/strict";
import { satisfies } from "../../src/runtime-stub/node-version.js";

test("satisfies() handles the engine ranges archives record", () => {
  const yes: Array<[string, string]> = [
    ["20.20.2", ">=20"],
    ["22.1.0", ">=20"],
    ["20.10.0", "^20.10"],
    ["24.0.0", "^20.10 || >=22"],
    ["20.5.1", "20"],
    ["20.5.1", "~20.5"],
    ["20.5.1", ">= 20.5.0 <21"],
    ["21.0.0", "*"],
  ];
  const no: Array<[string, string]> = [
    ["18.19.0", ">=20"],
    ["21.0.0", "^20.10"],
    ["20.9.0", "^20.10 || >=22"],
    ["21.5.1", "20"],
    ["20.6.0", "~20.5"],
    ["21.0.0", ">= 20.5.0 <21"],
  ];
  for (const [v, r] of yes) assert.equal(satisfies(v, r), true, `${v} ${r}`);
  for (const [v, r] of no) assert.equal(satisfies(v, r), false, `${v} ${r}`);
});
