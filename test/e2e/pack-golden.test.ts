/** Fixture tier: the packed hello example's payload listing is a golden file (BALE_UPDATE_GOLDEN=1 rewrites it). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bale, env, packOk, ROOT, tmp } from "../helpers.js";

test("inspect --files of examples/hello matches the golden listing", () => {
  const dir = tmp();
  const archive = join(dir, "hello");
  packOk(join(ROOT, "examples/hello"), archive, [], { env: env({ SOURCE_DATE_EPOCH: "0" }) });
  const r = bale(["inspect", archive, "--files"]);
  assert.equal(r.status, 0, r.stderr);
  // The first line names the temp path; the rest is content.
  const text = r.stdout.split("\n").slice(1).join("\n");
  const golden = join(ROOT, "test/fixtures/pack/hello.inspect.golden.txt");
  if (process.env.BALE_UPDATE_GOLDEN === "1") writeFileSync(golden, text);
  assert.equal(text, readFileSync(golden, "utf8"));
});
