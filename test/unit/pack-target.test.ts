/** The target checks of `bale pack --target` on real files: ELF headers, npm's os/cpu rules, the payload check. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { BaleError } from "../../src/errors.js";
import { PayloadTree } from "../../src/pack/payload.js";
import { checkTarget, checkTargetBinaries, elfMachine, forPlatform, type Staging, type TargetPackage } from "../../src/pack/target.js";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "bale-target-unit-"));
  dirs.push(d);
  return d;
}

/** The first 20 bytes of an ELF file: class, byte order, e_machine. */
function elfHead(machine: number, bigEndian = false): Buffer {
  const b = Buffer.alloc(64);
  b.write("\x7fELF", 0, "latin1");
  b[4] = 2; // ELFCLASS64
  b[5] = bigEndian ? 2 : 1;
  b[6] = 1;
  if (bigEndian) b.writeUInt16BE(machine, 18);
  else b.writeUInt16LE(machine, 18);
  return b;
}

test("elfMachine reads e_machine in either byte order and rejects what is not ELF", () => {
  if (process.platform === "linux" && process.arch === "x64") assert.equal(elfMachine(readFileSync(process.execPath).subarray(0, 64)), 0x3e);
  assert.equal(elfMachine(elfHead(0xb7)), 0xb7);
  assert.equal(elfMachine(elfHead(0x16, true)), 0x16);
  assert.equal(elfMachine(elfHead(0xb7).subarray(0, 19)), null);
  assert.equal(elfMachine(Buffer.from("#!/bin/sh\necho hello, world\n")), null);
  assert.equal(elfMachine(Buffer.alloc(0)), null);
});

test("forPlatform follows npm's os/cpu fields", () => {
  assert.equal(forPlatform({}, "linux-arm64"), true);
  assert.equal(forPlatform({ os: ["linux"], cpu: ["arm64"] }, "linux-arm64"), true);
  assert.equal(forPlatform({ os: ["linux"], cpu: ["x64"] }, "linux-arm64"), false);
  assert.equal(forPlatform({ os: ["darwin"] }, "linux-arm64"), false);
  assert.equal(forPlatform({ cpu: ["!arm64"] }, "linux-arm64"), false);
  assert.equal(forPlatform({ cpu: ["!ia32"] }, "linux-arm64"), true);
});

test("checkTarget accepts linux-x64 and linux-arm64 only", () => {
  assert.equal(checkTarget("linux-arm64"), "linux-arm64");
  assert.equal(checkTarget("linux-x64"), "linux-x64");
  for (const bad of ["darwin-arm64", "linux-ia32", "", 7]) {
    assert.throws(() => checkTarget(bad), (e: unknown) => e instanceof BaleError && e.code === "pack-bad-target" && /linux-x64.*linux-arm64/.test(e.fix ?? ""));
  }
});

function staging(dir: string): Staging {
  return { target: "linux-arm64", installRoot: "/project", dir, lockfile: join(dir, "package-lock.json"), reused: false, dispose: () => {} };
}

function writeJson(file: string, v: unknown): void {
  mkdirSync(join(file, ".."), { recursive: true });
  writeFileSync(file, JSON.stringify(v));
}

/** A staging dir (fresh: package.json files are read once per dir) with "fam" and its platform packages. */
function famStaging(withArm64: boolean): { s: string; packages: Map<string, TargetPackage> } {
  const s = tmp();
  const platforms: Record<string, [string, string]> = { "fam-linux-x64": ["linux", "x64"], "fam-darwin-arm64": ["darwin", "arm64"] };
  if (withArm64) platforms["fam-linux-arm64"] = ["linux", "arm64"];
  const lock: { packages: Record<string, unknown> } = { packages: { "": { dependencies: { fam: "1.0.0" } }, "node_modules/fam": { version: "1.0.0" } } };
  for (const [n, [os, cpu]] of Object.entries(platforms)) lock.packages[`node_modules/${n}`] = { version: "1.0.0", os: [os], cpu: [cpu], optional: true };
  writeJson(join(s, "package-lock.json"), lock);
  const optionalDependencies = Object.fromEntries(Object.keys(platforms).map((n) => [n, "1.0.0"]));
  writeJson(join(s, "node_modules/fam/package.json"), { name: "fam", version: "1.0.0", optionalDependencies });
  // What npm --os=linux --cpu=arm64 installs: only the arm64 one, when there is one.
  if (withArm64) writeJson(join(s, "node_modules/fam-linux-arm64/package.json"), { name: "fam-linux-arm64", version: "1.0.0", os: ["linux"], cpu: ["arm64"] });
  return { s, packages: new Map([["app/node_modules/fam", { at: "/project/node_modules/fam", source: join(s, "node_modules/fam"), name: "fam" }]]) };
}

test("a package whose platform packages do not cover the target is an error listing them", () => {
  const bad = famStaging(false);
  assert.throws(
    () => checkTargetBinaries({ target: "linux-arm64", tree: new PayloadTree(), packages: bad.packages, staging: staging(bad.s), declaredIn: null }, { dependencies: { fam: "1.0.0" } }),
    (e: unknown) =>
      e instanceof BaleError &&
      e.code === "pack-target-no-build" &&
      e.message === "fam has no build for linux-arm64: none of its platform packages is for it" &&
      e.details.join(" ") === "its platform packages: fam-linux-x64 (linux-x64), fam-darwin-arm64 (darwin-arm64)",
  );
  const good = famStaging(true);
  const r = checkTargetBinaries({ target: "linux-arm64", tree: new PayloadTree(), packages: good.packages, staging: staging(good.s), declaredIn: null }, { dependencies: { fam: "1.0.0" } });
  assert.deepEqual(r, { pruned: [], warnings: [] });
});

test("an optional package for another OS only (chokidar's fsevents) is no error", () => {
  const s = tmp();
  writeJson(join(s, "package-lock.json"), { packages: { "node_modules/chokidar": {}, "node_modules/fsevents": { os: ["darwin"], optional: true } } });
  writeJson(join(s, "node_modules/chokidar/package.json"), { name: "chokidar", version: "3.6.0", optionalDependencies: { fsevents: "~2.3.2" } });
  const packages = new Map<string, TargetPackage>([["app/node_modules/chokidar", { at: "/project/node_modules/chokidar", source: join(s, "node_modules/chokidar"), name: "chokidar" }]]);
  const r = checkTargetBinaries({ target: "linux-arm64", tree: new PayloadTree(), packages, staging: staging(s), declaredIn: null }, null);
  assert.deepEqual(r, { pruned: [], warnings: [] });
});

test("prebuilds for several platforms: the others are left out; a package with only x64 binaries is an error", () => {
  const s = tmp();
  const tree = new PayloadTree();
  tree.add("app/node_modules/multi/prebuilds/linux-arm64/node.napi.node", { type: "file", source: elfHead(0xb7), executable: false });
  tree.add("app/node_modules/multi/prebuilds/linux-x64/node.napi.node", { type: "file", source: elfHead(0x3e), executable: false });
  tree.add("app/node_modules/multi/index.js", { type: "file", source: Buffer.from("module.exports = 1;\n"), executable: false });
  writeJson(join(s, "multi/package.json"), { name: "multi", version: "1.0.0" });
  const packages = new Map<string, TargetPackage>([["app/node_modules/multi", { at: "/p/node_modules/multi", source: join(s, "multi"), name: "multi" }]]);
  const r = checkTargetBinaries({ target: "linux-arm64", tree, packages, staging: null, declaredIn: null }, null);
  assert.deepEqual(r.pruned, ["app/node_modules/multi/prebuilds/linux-x64/node.napi.node"]);
  assert.deepEqual([...tree.entries.keys()].sort(), ["app/node_modules/multi/index.js", "app/node_modules/multi/prebuilds/linux-arm64/node.napi.node"]);

  tree.add("app/node_modules/@x/only-x64/bin/tool", { type: "file", source: elfHead(0x3e), executable: true });
  writeJson(join(s, "only/package.json"), { name: "@x/only-x64", version: "1.0.0" });
  packages.set("app/node_modules/@x/only-x64", { at: "/p/node_modules/@x/only-x64", source: join(s, "only"), name: "@x/only-x64" });
  assert.throws(
    () => checkTargetBinaries({ target: "linux-arm64", tree, packages, staging: null, declaredIn: null }, null),
    (e: unknown) => e instanceof BaleError && e.code === "pack-target-binary" && e.message === "@x/only-x64 has no build for linux-arm64: bin/tool is for x86-64",
  );
});
