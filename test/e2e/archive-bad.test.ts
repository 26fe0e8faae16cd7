/**
 * Bad archives and bad `bale extract` targets, one error code each: the command exits 1 with one
 * line naming the file, a fix and the code, and writes nothing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { wrapPayload } from "../craft.js";
import { ROOT, bale, env, tmp } from "../helpers.js";

/** A freshly packed hello app in its own dir. */
function packed(): { dir: string; archive: string } {
  const dir = tmp("bale-archive-bad-");
  writeFileSync(join(dir, "package.json"), '{ "name": "app", "version": "1.0.0" }\n');
  writeFileSync(join(dir, "main.js"), 'console.log("hello");\n');
  const r = bale(["pack", "main.js", "-o", "app"], { cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  return { dir, archive: join(dir, "app") };
}

/** The one error line with `code`; `file` null: the problem is this machine's, not a file's. */
function oneError(r: { status: number | null; stderr: string }, code: string, file: string | null): string {
  assert.equal(r.status, 1, r.stderr);
  const line = r.stderr.split("\n").find((l) => l.includes(`[${code}]`));
  assert.ok(line, `no [${code}] in:\n${r.stderr}`);
  assert.ok(line.startsWith(file === null ? "bale: error: " : `bale: error: ${file}: `), line);
  assert.match(line, /Fix: /);
  return line;
}

test("an archive of a newer format is refused by name [archive-format]", () => {
  const { dir, archive } = packed();
  const bytes = readFileSync(archive);
  const at = bytes.indexOf('"format":1');
  assert.ok(at > 0);
  bytes.write('"format":9', at, "latin1");
  writeFileSync(join(dir, "app9"), bytes);
  const line = oneError(bale(["inspect", "app9"], { cwd: dir }), "archive-format", "app9");
  assert.match(line, /archive format 9 is not supported by this bale \(reads formats 1 and 2\)/);
});

test("a payload that is not zstd is a corrupt payload, not a crash [archive-payload-corrupt]", () => {
  const dir = tmp("bale-archive-bad-");
  wrapPayload(dir, "junk", Buffer.from("this is not a zstd frame, just text\n".repeat(4)), { entries: 2, files: 1, unpackedSize: 10 });
  const line = oneError(bale(["extract", "junk", "-o", "out"], { cwd: dir }), "archive-payload-corrupt", "junk");
  assert.match(line, /the payload is corrupt/);
  assert.ok(!existsSync(join(dir, "out")));
  assert.deepEqual(readdirSync(dir), ["junk"]);
});

test("bale extract into a non-empty directory is refused [extract-output-exists]", () => {
  const { dir } = packed();
  mkdirSync(join(dir, "out"));
  writeFileSync(join(dir, "out/keep.txt"), "mine\n");
  const line = oneError(bale(["extract", "app", "-o", "out"], { cwd: dir }), "extract-output-exists", "out");
  assert.match(line, /the output directory exists and is not empty/);
  assert.deepEqual(readdirSync(join(dir, "out")), ["keep.txt"]);
});

test("bale extract into a missing parent is refused [extract-output-parent-missing]", () => {
  const { dir } = packed();
  const line = oneError(bale(["extract", "app", "-o", "no/such/out"], { cwd: dir }), "extract-output-parent-missing", "no/such/out");
  assert.match(line, /the output's parent directory does not exist/);
  assert.ok(!existsSync(join(dir, "no")));
});

test("the embedded extractor started by hand says so [extractor-usage]", () => {
  const extractor = join(ROOT, "dist/runtime-stub/extractor.min.js");
  // As the prelude's bootstrap does, but without the archive's arguments.
  const r = spawnSync(process.execPath, ["-e", `require("vm").runInThisContext(require("fs").readFileSync(${JSON.stringify(extractor)}, "utf8"))(require)`], {
    encoding: "utf8",
    env: env(),
    timeout: 60_000,
  });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /the archive extractor was started without its arguments\. Fix: run the archive itself, not its extractor\. \[extractor-usage\]/);
});

test("without zstd-napi and without a built-in zstd, verify and extract check an embedded runtime with the WebAssembly decoder", () => {
  const dir = tmp("bale-archive-bad-");
  writeFileSync(join(dir, "package.json"), '{ "name": "app", "version": "1.0.0" }\n');
  writeFileSync(join(dir, "main.js"), 'console.log("hello");\n');
  const packEnv = env({ BALE_PACK_CACHE_DIR: join(dir, "pack-cache") });
  const p = bale(["pack", "main.js", "-o", "app", "--runtime", process.execPath, "--runtime-level", "3"], { cwd: dir, env: packEnv });
  assert.equal(p.status, 0, p.stderr);
  // Node 20 (the node the CLI runs on here unless it has zlib's zstd) with zstd-napi switched off.
  const noNapi = env({ BALE_ZSTD_IMPL: "zstd-wasm" });
  const v = bale(["verify", "app"], { cwd: dir, env: noNapi });
  assert.equal(v.status, 0, v.stderr);
  const x = bale(["extract", "app", "-o", "out"], { cwd: dir, env: noNapi });
  assert.equal(x.status, 0, x.stderr);
  assert.ok(readFileSync(join(dir, "out/.bale-runtime/node")).equals(readFileSync(process.execPath)));
});

test("an index whose entry or configDir lies outside the payload is refused before anything runs [archive-corrupt]", async () => {
  const dir = tmp("bale-archive-outside-");
  const cache = join(dir, "cache");
  const { tarFile, tarHeader } = await import("../craft.js");
  const { compress } = await import("../../src/pack/zstd.js");
  const main = tarFile("app/main.js", 'console.log("APP RAN")\n');
  const tar = Buffer.concat([tarHeader("app/", "5", { mode: 0o755 }), main, Buffer.alloc(1024)]);
  const z = await compress(tar, 3);
  // A well-formed archive (its prelude pins this very index) whose entry climbs out of its cache entry.
  const archive = wrapPayload(dir, "climbs", z.data, { entries: 2, files: 1, unpackedSize: 23 }, "../escaped.js");
  mkdirSync(cache, { recursive: true, mode: 0o700 });
  writeFileSync(join(cache, "escaped.js"), 'console.log("ESCAPED")\n');
  const r = spawnSync(archive, [], { env: env({ BALE_CACHE_DIR: cache }), encoding: "utf8" });
  assert.doesNotMatch(r.stdout, /ESCAPED/);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^bale: .*climbs: not a valid bale archive: the index's entry lies outside the payload \(path "\.\.\/escaped\.js" climbs out with "\.\."\)\. Fix: .+ \[archive-corrupt\]\n$/);
  const i = bale(["inspect", archive]);
  assert.match(oneError(i, "archive-corrupt", archive), /entry lies outside the payload/);
});
