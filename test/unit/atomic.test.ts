/** src/atomic.ts: temp names, the crash-recovery rule, atomic files and directories, the errno rule. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deadTemps, ioErrorToUser, ownerGone, recoverSwaps, swapDir, tempBeside, writeFileAtomic } from "../../src/atomic.js";
import { BaleError } from "../../src/errors.js";
import { tmp } from "../helpers.js";

/** pid 2^22 + 1 is above Linux's pid_max: a process that is gone. */
const GONE = 4194305;
const hourAgo = (p: string): void => utimesSync(p, new Date(Date.now() - 3600_000), new Date(Date.now() - 3600_000));

test("temp names beside an output carry the pid: .<name>.<kind>-<pid>-<random>", () => {
  const a = tempBeside("/x/out", "bale-new");
  assert.match(a, new RegExp(`^/x/\\.out\\.bale-new-${process.pid}-[0-9a-f]{12}$`));
  assert.notEqual(a, tempBeside("/x/out", "bale-new"));
});

test("a dead process's temp is recovered; a live process's temp is untouched", () => {
  const dir = tmp("bale-atomic-");
  mkdirSync(join(dir, `.out.bale-new-${GONE}-aaaa`));
  mkdirSync(join(dir, `.out.bale-new-${process.pid}-bbbb`));
  mkdirSync(join(dir, ".out.bale-new-nopid"));
  mkdirSync(join(dir, `.other.bale-new-${GONE}-cccc`));
  assert.deepEqual(deadTemps(dir, ".out.bale-new-").sort(), [join(dir, `.out.bale-new-${GONE}-aaaa`), join(dir, ".out.bale-new-nopid")]);
  assert.deepEqual(deadTemps(dir, /^\.other\.bale-new-(\d+)-/), [join(dir, `.other.bale-new-${GONE}-cccc`)]);
  // This process is alive and started before its temp: never its owner's loss, however old the temp looks relative to now.
  assert.equal(ownerGone(process.pid, Date.now()), false);
});

test("a temp whose pid now belongs to a process that started after it was last touched is a dead one's (pid reuse)", async () => {
  const younger = spawn("sleep", ["30"], { stdio: "ignore" });
  try {
    await new Promise((r) => setTimeout(r, 50));
    const pid = younger.pid as number;
    const dir = tmp("bale-atomic-reuse-");
    const old = join(dir, `.out.bale-new-${pid}-aaaa`);
    mkdirSync(old);
    hourAgo(old);
    const fresh = join(dir, `.out.bale-new-${pid}-bbbb`);
    mkdirSync(fresh);
    assert.equal(ownerGone(pid, statSync(old).mtimeMs), true, "made before that process started: not its temp");
    assert.equal(ownerGone(pid, statSync(fresh).mtimeMs), false, "touched while it runs: may be its own");
    assert.deepEqual(deadTemps(dir, ".out.bale-new-"), [old]);
  } finally {
    younger.kill();
  }
});

test("recoverSwaps: an output a dead writer left aside comes back, dead temps go, a live writer's stay", () => {
  const dir = tmp("bale-atomic-swap-");
  mkdirSync(join(dir, `.out.bale-old-${GONE}-aaaa`));
  writeFileSync(join(dir, `.out.bale-old-${GONE}-aaaa`, "f"), "old");
  mkdirSync(join(dir, `.out.bale-new-${GONE}-bbbb`));
  mkdirSync(join(dir, `.out.bale-new-${process.pid}-cccc`));
  mkdirSync(join(dir, `.else.bale-new-${GONE}-dddd`));
  assert.equal(recoverSwaps(dir, "out"), 1);
  assert.equal(readFileSync(join(dir, "out/f"), "utf8"), "old");
  assert.deepEqual(readdirSync(dir).sort(), [`.else.bale-new-${GONE}-dddd`, `.out.bale-new-${process.pid}-cccc`, "out"]);
  assert.equal(recoverSwaps(dir), 1, "every output of the directory");
  assert.ok(!existsSync(join(dir, `.else.bale-new-${GONE}-dddd`)));
});

test("swapDir puts the new tree in place and hands back the old one", () => {
  const dir = tmp("bale-atomic-swapdir-");
  const out = join(dir, "out");
  const first = tempBeside(out, "bale-new");
  mkdirSync(first);
  assert.equal(swapDir(first, out), null);
  const second = tempBeside(out, "bale-new");
  mkdirSync(second);
  writeFileSync(join(second, "v"), "2");
  const old = swapDir(second, out);
  assert.ok(old !== null && existsSync(old) && old.includes(".out.bale-old-"));
  assert.equal(readFileSync(join(out, "v"), "utf8"), "2");
});

test("writeFileAtomic: the mode whatever the umask, dead temps beside the file cleaned, no temp left", () => {
  const dir = tmp("bale-atomic-file-");
  const f = join(dir, "app");
  writeFileSync(join(dir, `.app.tmp-${GONE}-aaaa`), "half");
  writeFileSync(join(dir, `.app.tmp-${process.pid}-bbbb`), "a live writer's");
  writeFileAtomic(f, [Buffer.from("a"), Buffer.from("b")], { mode: 0o755, durable: true });
  assert.equal(readFileSync(f, "utf8"), "ab");
  assert.equal(statSync(f).mode & 0o777, 0o755);
  assert.deepEqual(readdirSync(dir).sort(), [`.app.tmp-${process.pid}-bbbb`, "app"]);
  assert.throws(() => writeFileAtomic(join(dir, "no/such/dir/f"), "x"), { code: "ENOENT" });
});

test("the errno rule: user-fixable errno codes become a BaleError naming the path, with the fix; others stay bugs", () => {
  const err = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code, syscall: "open" });
  const full = ioErrorToUser(err("ENOSPC"), "pack-output-unwritable", "cannot write the archive here", "/out/app", "pass -o elsewhere");
  assert.ok(full instanceof BaleError);
  assert.equal(full.oneLine(), "/out/app: cannot write the archive here: no space left on the device (ENOSPC). Fix: free some space there, or pass -o elsewhere. [pack-output-unwritable]");
  for (const code of ["EACCES", "EROFS", "EDQUOT", "EPERM", "ENOENT"]) {
    assert.equal(ioErrorToUser(err(code), "cache-unwritable", "x", "/c", "y")?.code, "cache-unwritable", code);
  }
  assert.equal(ioErrorToUser(err("EBADF"), "cache-unwritable", "x", "/c", "y"), null, "a bad fd is bale's bug");
  assert.equal(ioErrorToUser(new TypeError("boom"), "cache-unwritable", "x", "/c", "y"), null);
  const already = new BaleError("cache-unsafe", "no");
  assert.equal(ioErrorToUser(already, "cache-unwritable", "x", "/c", "y"), already, "a user error passes as it is");
});
