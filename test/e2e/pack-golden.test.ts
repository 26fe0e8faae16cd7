/** Fixture tier: the packed hello example's payload listing is a golden file (`npm run update-goldens` accepts a change). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { bale, env, packOk, ROOT, tmp } from "../helpers.js";
import { assertGolden } from "../golden.js";

test("inspect --files of examples/hello matches the golden listing", () => {
  const dir = tmp();
  const archive = join(dir, "hello");
  packOk(join(ROOT, "examples/hello"), archive, [], { env: env({ SOURCE_DATE_EPOCH: "0" }) });
  const r = bale(["inspect", archive, "--files"]);
  assert.equal(r.status, 0, r.stderr);
  // The first line names the temp path; the rest is content.
  const text = r.stdout.split("\n").slice(1).join("\n");
  const golden = join(ROOT, "test/fixtures/pack/hello.inspect.golden.txt");
  assertGolden(golden, text);
});
