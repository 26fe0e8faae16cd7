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

test("rangeToSh(): the prelude's sh check agrees with satisfies() on every range and version tried", async () => {
  const { rangeToSh } = await import("../../src/runtime-stub/node-version.js");
  const { spawnSync } = await import("node:child_process");
  const ranges = [
    ">=20", ">20", "<=22.5", "<22", "^20.10", "^0.5.1", "~20.5", "~20", "20", "20.5", "=20.5.1", "20.5.1",
    "^20.10 || >=22", ">= 20.5.0 <21", "*", "", "20.x", ">=20 <21 || ^22.1.2 || 24", "~0.1.2", "garbage", ">=20 || garbage",
  ];
  const versions = ["0.1.2", "0.5.1", "0.5.9", "0.6.0", "18.19.0", "20.0.0", "20.5.0", "20.5.1", "20.5.2", "20.6.0", "20.9.0", "20.10.0", "20.20.2", "21.0.0", "22.0.0", "22.1.2", "22.5.0", "22.5.1", "23.0.0", "24.0.0", "24.11.1"];
  // One sh runs every case: each prints its verdict on a line, in order.
  let script = "";
  const want: string[] = [];
  for (const r of ranges) {
    for (const v of versions) {
      const [M, m, p] = v.split(".").map(Number) as [number, number, number];
      script += `K=${M * 1e6 + m * 1e3 + p}; M=${M}; m=${m}; if ${rangeToSh(r)}; then echo 1; else echo 0; fi\n`;
      want.push(satisfies(v, r) ? "1" : "0");
    }
  }
  for (const sh of ["/bin/sh", "bash"]) {
    const r = spawnSync(sh, ["-c", script], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const got = r.stdout.trim().split("\n");
    const cases = ranges.flatMap((r) => versions.map((v) => `${v} ${JSON.stringify(r)}`));
    for (let i = 0; i < want.length; i++) assert.equal(got[i], want[i], `${sh}: ${cases[i]}`);
  }
});
