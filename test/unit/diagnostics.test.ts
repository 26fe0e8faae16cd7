/**
 * The diagnostics catalog (src/diagnostics/catalog.ts) against the rest of the repository:
 * - the README's error tables are what the catalog renders;
 * - every code is asserted by at least one test (a bad-input case, an e2e or a unit test), except
 *   the few in UNTRIGGERED, each with the reason no test can provoke it;
 * - the codes the sh prelude prints (it is text, so tsc cannot see them) are in the catalog;
 * - only the extractor's modules construct BaleError; the rest reports through diag() from the
 *   catalog's templates (a code without one is the extractor's, its catalog fix the sites' sentence),
 *   and a wrong key or parameter fails tsc;
 * - the extractor carries no catalog text.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { DIAGNOSTICS, formOf, isDiagnosticCode, templateText, type DiagnosticCode, type DiagnosticDef } from "../../src/diagnostics/catalog.js";
import { diag, ioDiag, warning } from "../../src/diagnostics/create.js";
import { headingAnchors, renderErrorTables } from "../../src/diagnostics/readme.js";
import { UNTRIGGERED } from "../untriggered.js";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const CODES = Object.keys(DIAGNOSTICS) as DiagnosticCode[];

/** Text files under dir, skipping what is not the project's own tests. */
function files(dir: string, out: string[] = []): string[] {
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    if (n === "node_modules" || n === ".work" || n.endsWith(".actual")) continue;
    if (statSync(p).isDirectory()) files(p, out);
    else if (/\.(ts|mts|mjs|js|json|txt|sh)$/.test(n)) out.push(p);
  }
  return out;
}

const SELF = new Set([join(ROOT, "test/unit/diagnostics.test.ts"), join(ROOT, "test/unit/errors.test.ts"), join(ROOT, "test/untriggered.ts")]);
const testTexts = files(join(ROOT, "test"))
  .filter((f) => !SELF.has(f) && !f.startsWith(join(ROOT, "test/corpus/apps")))
  .map((f) => ({ file: relative(ROOT, f), text: readFileSync(f, "utf8") }));

/**
 * Where tests name a code as a code: `[code]` in expected output (or `\[code\]` in a regular
 * expression), or the code as a whole string literal (`code: "..."`, `.code === "..."`, expect.json).
 */
function assertedIn(code: string): string[] {
  const re = new RegExp(`\\\\?\\[${code}\\\\?\\]|["'\`]${code}["'\`]`);
  return testTexts.filter((t) => re.test(t.text)).map((t) => t.file);
}

test("the README's error tables are what the catalog renders", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  assert.ok(
    renderErrorTables(readme) === readme,
    "README.md's error tables differ from src/diagnostics/catalog.ts: run `npm run build && node scripts/gen-error-table.mjs`",
  );
});

test("every catalog anchor is a heading of the README", () => {
  const anchors = headingAnchors(readFileSync(join(ROOT, "README.md"), "utf8"));
  for (const [code, d] of Object.entries(DIAGNOSTICS)) {
    if ("anchor" in d && d.anchor !== undefined) assert.ok(anchors.has(d.anchor), `${code}: no heading #${d.anchor}`);
  }
});

test("every code is asserted by at least one test", () => {
  const missing = CODES.filter((c) => UNTRIGGERED[c] === undefined && assertedIn(c).length === 0);
  assert.deepEqual(missing, [], `codes no test asserts (add a bad-input case, or a justified UNTRIGGERED entry):\n${missing.join("\n")}`);
});

test("the allow-list of untriggered codes is short, justified and not stale", () => {
  const entries = Object.entries(UNTRIGGERED) as Array<[DiagnosticCode, string]>;
  assert.ok(entries.length <= 12, `${entries.length} untriggered codes`);
  for (const [code, why] of entries) {
    assert.ok(why.length > 20, `${code}: say why no test can trigger it`);
    assert.deepEqual(assertedIn(code), [], `${code} is asserted by a test now: remove it from UNTRIGGERED`);
  }
});

test("the codes the sh prelude prints are in the catalog", () => {
  const found = new Set<string>();
  for (const f of readdirSync(join(ROOT, "test/fixtures/pack")).filter((n) => n.startsWith("prelude") && n.endsWith(".golden.sh"))) {
    const text = readFileSync(join(ROOT, "test/fixtures/pack", f), "utf8");
    for (const m of text.matchAll(/_bale_x "(?:[^"\\]|\\.)*" ([a-z][a-z0-9-]*)/g)) found.add(m[1] ?? "");
    // A message echoed as text ends like the CLI's: `... Fix: .... [code]`.
    for (const m of text.matchAll(/\. \[([a-z]+(?:-[a-z0-9]+)+)\]/g)) found.add(m[1] ?? "");
  }
  assert.ok(found.size >= 5, `only ${[...found].join(", ")}`);
  assert.deepEqual([...found].filter((c) => !isDiagnosticCode(c)), []);
});

const srcFiles = files(join(ROOT, "src"))
  .filter((f) => !f.includes("/diagnostics/"))
  .map((f) => ({ file: relative(ROOT, f), text: readFileSync(f, "utf8") }));

/**
 * The modules that construct BaleError themselves instead of through `diag`: the ones the archive's
 * extractor ships (no catalog text in archives; see the catalog's header), errors.ts, and the few
 * that only copy an error already made.
 */
const CONSTRUCTS_BALE_ERROR: Record<string, string> = {
  "src/errors.ts": "defines it",
  "src/atomic.ts": "ships in the extractor (ioErrorToUser)",
  "src/archive/extract.ts": "ships in the extractor",
  "src/archive/format.ts": "ships in the extractor",
  "src/archive/io.ts": "ships in the extractor",
  "src/archive/tar.ts": "ships in the extractor",
  "src/runtime-stub/extractor.ts": "is the extractor",
  "src/runtime-stub/cache.ts": "ships in the extractor",
  "src/pack/target.ts": "folds several diag() errors into one (a copy, no new wording)",
};

test("only the extractor's modules construct BaleError; everything else reports through diag()", () => {
  const direct = srcFiles.filter((f) => /new BaleError\(/.test(f.text) && CONSTRUCTS_BALE_ERROR[f.file] === undefined);
  assert.deepEqual(direct.map((f) => f.file), []);
});

test("a code without a message template is reported only by the archive's own code (extractor, sh prelude), with the catalog's fix", () => {
  const archiveText = srcFiles
    .filter((f) => CONSTRUCTS_BALE_ERROR[f.file] !== undefined || f.file === "src/runtime-stub/prelude.ts")
    .map((f) => f.text)
    .join("\n");
  const all = srcFiles.map((f) => f.text).join("\n");
  for (const [code, d] of Object.entries(DIAGNOSTICS) as Array<[DiagnosticCode, DiagnosticDef]>) {
    assert.ok(all.includes(code), `${code} is never reported`);
    if (d.message !== undefined) continue;
    assert.ok(archiveText.includes(code), `${code} has no message template, but only the archive's own code may report it without one`);
    if (typeof d.fix === "string") assert.ok(all.includes(d.fix), `${code}: the catalog's fix ${JSON.stringify(d.fix)} is said nowhere in src/`);
  }
});

test("every template renders its parameters, and the variants are well formed", () => {
  for (const [code, d] of Object.entries(DIAGNOSTICS) as Array<[DiagnosticCode, DiagnosticDef]>) {
    for (const [id, form] of Object.entries(d.variants ?? {})) {
      assert.ok(form.message !== undefined || form.fix !== undefined, `${code}:${id} changes neither message nor fix`);
      assert.ok(d.message !== undefined || form.message !== undefined, `${code}:${id} has no message`);
    }
    const p = Object.fromEntries([d.message, d.fix].flatMap((tpl) => (tpl && typeof tpl !== "string" ? tpl.keys : [])).map((k) => [k, `<${k}>`]));
    const m = d.message;
    if (m !== undefined) {
      const f = formOf(code, p);
      for (const k of m.keys) assert.ok(f.message.includes(`<${k}>`), `${code}: ${k}`);
      assert.equal(templateText(m), m.parts.map((s, i) => (i < m.keys.length ? `${s}{${m.keys[i]}}` : s)).join(""));
    }
  }
  const e = diag("pack-bad-level:runtime", { level: 42 });
  assert.equal(e.code, "pack-bad-level");
  assert.equal(e.message, "runtime compression level 42 is out of range");
  assert.equal(e.fix, "pass --runtime-level with a whole number from 1 (fastest) to 19 (smallest, the default)");
  assert.equal(diag("gen-ref:anchor", { ref: '"#a"' }, { file: "x" }).oneLine(), 'x: $ref "#a" uses an anchor; only JSON pointers (#/...) are supported. Fix: Refer to the definition by its JSON pointer, e.g. #/$defs/Name. [gen-ref]');
  assert.deepEqual(warning("pack-trace-warning", { text: "hm" }), { code: "pack-trace-warning", message: "hm" });
});

test("a wrong key, a missing or an extra parameter, or a second fix does not type-check", () => {
  // `npm run typecheck` (tsconfig.test.json) fails if any of these lines stops being an error.
  assert.throws(() =>
    // @ts-expect-error: no such code
    diag("pack-no-such-code", {}),
  );
  // @ts-expect-error: no such variant
  assert.throws(() => diag("pack-bad-level:nope", { level: 1 }));
  // @ts-expect-error: "level" is missing
  diag("pack-bad-level", {});
  // @ts-expect-error: "lvl" is not a parameter of the message
  diag("pack-bad-level", { level: 1, lvl: 2 });
  // @ts-expect-error: the catalog gives this code's fix
  diag("pack-output-is-dir", {}, { file: "x", fix: "another fix" });
  // @ts-expect-error: an error code is not a warning
  warning("pack-bad-level", { level: 1 });
  // @ts-expect-error: ioDiag fills in {reason} itself
  ioDiag(null, "pack-runtime-missing", { reason: "x" }, "f");
  // @ts-expect-error: this message has no {reason}, so it is not for file-system errors
  ioDiag(null, "pack-output-is-dir", {}, "f");
  const eacces = Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" });
  const io = ioDiag(eacces, "pack-cache-unwritable:stage", { target: "linux-arm64" }, "/c");
  assert.equal(io?.oneLine(), "/c: cannot stage the dependencies for linux-arm64: permission denied (EACCES). Fix: set BALE_PACK_CACHE_DIR to a directory on a file system with room that you can write. [pack-cache-unwritable]");
  assert.equal(ioDiag(new Error("a bug"), "pack-runtime-missing", {}, "f"), null);
  // A code whose fix the site computes takes one.
  assert.equal(diag("config-schema-violation", { subject: "`/a`", text: "is wrong" }, { fix: "change it" }).fix, "change it");
});

test("the extractor that ships in every archive carries no catalog text", () => {
  const extractor = readFileSync(join(ROOT, "dist/runtime-stub/extractor.min.js"), "utf8");
  const leaked = (Object.entries(DIAGNOSTICS) as Array<[DiagnosticCode, DiagnosticDef]>)
    .filter(([, d]) => extractor.includes(d.summary) || d.message?.parts.some((p) => p.length > 24 && extractor.includes(p)))
    .map(([code]) => code);
  assert.deepEqual(leaked, []);
});

/**
 * Codes of pack, config and gen that no bad-input corpus case triggers, and the one test that does
 * (the corpora run the CLI on a project; these need the library API, a pruned install, root, the
 * network or a registry package, or a service definition only bale's own build writes).
 */
const OUTSIDE_CORPUS: Partial<Record<DiagnosticCode, string>> = {
  "config-bad-option": "test/unit/library-options.test.ts",
  "config-root-missing": "test/e2e/config-cli.test.ts",
  "config-typescript-missing": "test/e2e/pruned-install.test.ts",
  "config-output": "test/e2e/unwritable.test.ts",
  "pack-bad-option": "test/unit/library-options.test.ts",
  "pack-bad-target": "test/unit/pack-target.test.ts",
  "pack-symlink-escape": "test/unit/tar.test.ts",
  "pack-runtime-decoder": "test/e2e/pruned-install.test.ts",
  "pack-target-install": "test/e2e/pack-target.test.ts",
  "pack-target-no-build": "test/e2e/pack-target.test.ts",
  "pack-target-binary": "test/e2e/pack-target.test.ts",
  "gen-bad-option": "test/unit/library-options.test.ts",
  "gen-schema-clash": "test/unit/bindings-model.test.ts",
  "gen-service-clash": "test/unit/bindings-model.test.ts",
  "gen-method-clash": "test/unit/bindings-model.test.ts",
};

test("every code of pack, config and gen is triggered by a case of its bad-input corpus, or by the test OUTSIDE_CORPUS names", (t) => {
  const counts: string[] = [];
  for (const area of ["config", "pack", "gen"] as const) {
    const dir = join(ROOT, "test/fixtures", area, "bad");
    const triggered = new Set(
      readdirSync(dir)
        .filter((n) => statSync(join(dir, n)).isDirectory() && n !== "_base")
        .map((n) => (JSON.parse(readFileSync(join(dir, n, "expect.json"), "utf8")) as { code: string }).code),
    );
    const codes = CODES.filter((c) => DIAGNOSTICS[c].area === area);
    for (const c of codes) {
      if (triggered.has(c) || UNTRIGGERED[c] !== undefined) continue;
      const where = OUTSIDE_CORPUS[c];
      assert.ok(where !== undefined, `${c}: no case of test/fixtures/${area}/bad triggers it (add one, or say in OUTSIDE_CORPUS which test does)`);
      assert.ok(assertedIn(c).includes(where), `${c}: ${where} does not assert it`);
    }
    for (const c of triggered) assert.ok(OUTSIDE_CORPUS[c as DiagnosticCode] === undefined, `${c} is in the corpus now: remove it from OUTSIDE_CORPUS`);
    counts.push(`${area}: ${codes.filter((c) => triggered.has(c)).length} of ${codes.length} codes`);
  }
  t.diagnostic(`triggered by the corpora: ${counts.join(", ")}`);
});
