/**
 * The library's boundary (src/options.ts): every public function that takes an options object refuses
 * an unknown key, a missing required one and a value of the wrong kind with a BaleError naming the
 * option, before it touches anything. One case per entry point, through the function bale exports.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as bale from "../../src/index.js";
import { BaleError } from "../../src/errors.js";
import { ENTRY_POINTS, validateOptions, type EntryPoint } from "../../src/options.js";

/** Exports that take no options object (a path, an env, a value), so they have no table. */
const NOT_OPTIONS = new Set(["BaleError", "BaleErrors", "isBaleError", "VERSION", "readIndex", "cacheRoot", "canonicalJson"]);

/** Calls an exported function with `o` and returns what it threw (sync or async). */
async function thrown(f: (o: unknown) => unknown, o: unknown): Promise<unknown> {
  try {
    const r = f(o);
    if (r instanceof Promise) await r;
    else if (r && typeof (r as { close?: unknown }).close === "function") await (r as { close(): Promise<void> }).close();
  } catch (e) {
    return e;
  }
  return undefined;
}

function isError(e: unknown, code: string, message: string): boolean {
  assert.ok(e instanceof BaleError, `not a BaleError: ${String(e)}`);
  assert.equal(e.code, code);
  assert.equal(e.message, message);
  assert.ok(e.fix, "a fix");
  return true;
}

/** The valid minimum of each entry point, and one wrong value of a known kind. */
const CASES: Record<EntryPoint, { code: string; ok: Record<string, unknown>; wrong: [string, unknown, string] }> = {
  pack: { code: "pack-bad-option", ok: { entry: "main.js" }, wrong: ["level", "3", 'pack option "level" must be a number, not "3"'] },
  compileConfigs: { code: "config-bad-option", ok: {}, wrong: ["workers", 0, 'compileConfigs option "workers" must be a whole number >= 1, not 0'] },
  checkConfigs: { code: "config-bad-option", ok: {}, wrong: ["noTypeCheck", "yes", 'checkConfigs option "noTypeCheck" must be true or false, not "yes"'] },
  watchConfigs: { code: "config-bad-option", ok: {}, wrong: ["onBuild", "print", 'watchConfigs option "onBuild" must be a function, not "print"'] },
  generateBindings: { code: "gen-bad-option", ok: { root: ".", langs: ["ts"] }, wrong: ["langs", "ts", 'generateBindings option "langs" must be an array of strings, not "ts"'] },
  renderBindings: { code: "gen-bad-option", ok: { root: ".", langs: ["ts"] }, wrong: ["root", 7, 'renderBindings option "root" must be a string, not 7'] },
  publishConfigs: { code: "fleet-bad-option", ok: { etcd: "http://127.0.0.1:1" }, wrong: ["build", "false", 'publishConfigs option "build" must be true or false, not "false"'] },
  watchPublish: { code: "fleet-bad-option", ok: { etcd: "http://127.0.0.1:1" }, wrong: ["debounceMs", -5, 'watchPublish option "debounceMs" must be a whole number >= 0, not -5'] },
  fleetStatus: { code: "fleet-bad-option", ok: { etcd: "http://127.0.0.1:1" }, wrong: ["etcd", 2379, 'fleetStatus option "etcd" must be a string or an array of strings, not 2379'] },
  fleetHistory: { code: "fleet-bad-option", ok: { etcd: "http://127.0.0.1:1" }, wrong: ["limit", -1, 'fleetHistory option "limit" must be a whole number >= 0, not -1'] },
  rollbackConfigs: { code: "fleet-bad-option", ok: { etcd: "http://127.0.0.1:1" }, wrong: ["to", 1234, 'rollbackConfigs option "to" must be a string, not 1234'] },
  promoteCanary: { code: "fleet-bad-option", ok: { etcd: "http://127.0.0.1:1", canary: "c1" }, wrong: ["canary", ["c1"], 'promoteCanary option "canary" must be a string, not an array'] },
  inspect: { code: "archive-bad-option", ok: { archive: "app" }, wrong: ["files", 1, 'inspect option "files" must be true or false, not 1'] },
  verify: { code: "archive-bad-option", ok: { archive: "app" }, wrong: ["env", { HOME: 1 }, 'verify option "env" must be an object of strings (like process.env), not an object'] },
  extract: { code: "archive-bad-option", ok: { archive: "app", output: "dir" }, wrong: ["output", null, 'extract option "output" must be a string, not null'] },
  cacheList: { code: "archive-bad-option", ok: {}, wrong: ["check", "no", 'cacheList option "check" must be true or false, not "no"'] },
  cachePrune: { code: "archive-bad-option", ok: {}, wrong: ["env", "HOME=/", 'cachePrune option "env" must be an object of strings (like process.env), not "HOME=/"'] },
};

/** Every entry point checks its options itself: the test calls the real function. */
const WIRED = new Set<EntryPoint>(["pack", "compileConfigs", "checkConfigs", "watchConfigs", "generateBindings", "renderBindings", "publishConfigs", "watchPublish", "fleetStatus", "fleetHistory", "rollbackConfigs", "promoteCanary", "inspect", "verify", "extract", "cacheList", "cachePrune"]);

test("every exported function is an entry point with an options table, or takes no options object", () => {
  const fns = Object.entries(bale).filter(([, v]) => typeof v === "function").map(([k]) => k);
  assert.deepEqual(fns.filter((k) => !NOT_OPTIONS.has(k) && !(k in ENTRY_POINTS)).sort(), []);
  for (const k of Object.keys(ENTRY_POINTS)) assert.equal(typeof (bale as Record<string, unknown>)[k], "function", `${k} is not exported`);
});

for (const [entry, c] of Object.entries(CASES) as Array<[EntryPoint, (typeof CASES)[EntryPoint]]>) {
  const { fn } = ENTRY_POINTS[entry];
  const code = c.code;
  test(`${fn}(): an unknown key, a missing required one and a wrong kind are BaleErrors [${code}]`, async () => {
    assert.equal(ENTRY_POINTS[entry].code, code);
    const call = WIRED.has(entry) ? ((bale as unknown as Record<string, (o: unknown) => unknown>)[entry] as (o: unknown) => unknown) : (o: unknown) => validateOptions(entry, o);
    // A misspelled key gets its correction.
    const [first] = Object.keys(ENTRY_POINTS[entry].options) as [string];
    const typo = `${first}x`;
    const e1 = await thrown(call, { ...c.ok, [typo]: 1 });
    assert.ok(isError(e1, code, `unknown ${fn} option "${typo}"`));
    assert.equal((e1 as BaleError).fix, `write "${first}" instead`);
    const [key, value, message] = c.wrong;
    assert.ok(isError(await thrown(call, { ...c.ok, [key]: value }), code, message));
    const required = Object.entries(ENTRY_POINTS[entry].options).find(([, s]) => "required" in s && s.required)?.[0];
    if (required !== undefined) {
      const { [required]: _, ...rest } = c.ok;
      assert.ok(isError(await thrown(call, rest), code, `${fn}() needs the option "${required}"`));
    }
    // The valid minimum passes the check; undefined counts as not given.
    assert.doesNotThrow(() => validateOptions(entry, c.ok));
    const optional = Object.entries(ENTRY_POINTS[entry].options).find(([, s]) => !("required" in s))?.[0];
    if (optional !== undefined) assert.doesNotThrow(() => validateOptions(entry, { ...c.ok, [optional]: undefined }));
  });
}

test("an options argument that is not an object is refused, naming what the function needs", async () => {
  const e = await thrown(bale.pack as (o: unknown) => unknown, "main.js");
  assert.ok(isError(e, "pack-bad-option", 'pack() takes an options object, not "main.js"'));
  assert.equal((e as BaleError).fix, "pass { entry: ... }");
});

test("a key far from every option lists them all", () => {
  assert.throws(
    () => validateOptions("extract", { archive: "a", output: "b", destinationFolder: "c" }),
    (e: unknown) => e instanceof BaleError && e.code === "archive-bad-option" && e.fix === "use only the options of extract(): archive, output",
  );
});
