/** The greeter fleet demo: three servers follow the store; a publish (and a rollback) changes their answers without a restart. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { env, ROOT } from "../helpers.js";

test("demo:fleet: a publish changes three running servers, a rollback changes them back", () => {
  const r = spawnSync(process.execPath, [join(ROOT, "scripts/demo-fleet.mjs")], { cwd: ROOT, env: env({ BALE_ETCD: undefined }), encoding: "utf8", timeout: 120_000 });
  const all = r.stdout + r.stderr;
  assert.equal(r.status, 0, all);
  const pids = (section: string): string[] => {
    const block = all.split(section)[1]?.split("\n\n")[0] ?? "";
    return [...block.matchAll(/pid (\d+)\): (.*)/g)].map((m) => `${m[1]} ${m[2]}`);
  };
  const before = pids("before the change:");
  const after = pids("after the publish (same processes, no restart):");
  const back = pids("after the rollback:");
  assert.equal(before.length, 3, all);
  assert.ok(before.every((l) => l.endsWith("Bonjour, Ada!")), all);
  assert.ok(after.every((l) => l.endsWith("BONJOUR, ADA!")), all);
  assert.ok(back.every((l) => l.endsWith("Bonjour, Ada!")), all);
  // The same three processes answered every time.
  const ids = (ls: string[]) => ls.map((l) => l.split(" ")[0]);
  assert.deepEqual(ids(after), ids(before));
  assert.deepEqual(ids(back), ids(before));
  assert.match(all, /0 added, 1 changed, 0 removed, 2 unchanged \(1 blobs written\)/);
});
