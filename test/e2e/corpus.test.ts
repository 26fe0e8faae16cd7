/**
 * The real-app corpus (test/corpus): every app is installed from the npm registry with the committed
 * lockfile, run with plain node from a neutral directory (the reference), packed with no flags, and
 * run from its archive, cold then warm, with every node_modules of the corpus moved away. Stdout and
 * the exit code must be identical to the reference. One test per app; no skips.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { CLI, ROOT, tmp } from "../helpers.js";
import { checkCorpus, CORPUS_SRC, installCorpus, loadApps, lockCorpus, writeResults, type AppResult } from "../corpus/lib.mjs";

const names = readdirSync(join(CORPUS_SRC, "apps")).sort();
const results = new Map<string, AppResult>();
const log = (msg: string): void => void process.stderr.write(`# corpus: ${msg}\n`);
let release = (): void => {};

describe("real-app corpus: node entry == packed archive (cold and warm), no flags", { concurrency: 1 }, () => {
  before(async () => {
    const work = installCorpus({ log });
    release = lockCorpus(work); // one run at a time; puts back node_modules a killed earlier run left aside
    const apps = loadApps(work);
    assert.deepEqual(
      apps.map((a) => a.name),
      names,
    );
    const dir = tmp("bale-corpus-");
    const neutral = join(dir, "neutral");
    mkdirSync(neutral);
    const res = await checkCorpus({ work, apps, cli: CLI, outDir: join(dir, "out"), neutral, concurrency: 2, log });
    for (const r of res) results.set(r.name, r);
    let head = "";
    try {
      head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    } catch {
      head = "unknown";
    }
    writeResults(res, { commit: head });
    log(`${res.filter((r) => r.pass).length}/${res.length} identical`);
  });

  after(() => release());

  for (const name of names) {
    test(name, () => {
      const r = results.get(name);
      assert.ok(r, `no result for ${name}`);
      assert.ok(r.pass, `${name} failed at ${r.stage}: ${r.reason}`);
    });
  }
});
