/**
 * Fuzzes the emitters' string escaping: a generated corpus of descriptions, enum
 * values, patterns and property names made of the characters that break string
 * literals, comments and docstrings in TypeScript and Python. The generated code
 * must compile (tsc --strict) and import (python3), and every value must read
 * back unchanged: descriptions as docstrings, enum values and pattern literals
 * through both validators and the Python dataclasses.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "node:test";
import { generateBindings } from "../../src/bindings/index.js";
import { BaleError } from "../../src/errors.js";
import { ROOT, env, tmp } from "../helpers.js";

/** Pieces that are special somewhere: quotes, escapes, comment and docstring delimiters, line ends, controls. */
const PIECES = [
  '"', '""', '"""', "'", "'''", "\\", "\\\\", '\\"', "*/", "/*", "/**", "//", "${", "`", "#", "\n", "\r\n", "\r", "\t",
  "\u2028", "\u2029", "\u0000", "\u0085", "\u007f", "\u001b", "\u000b", "\u000c", "é", "日本", "🌍",
  "\\u0041", "\\n", "{", "}", "[", "]", "$", "^", ".", "*", "+", "?", "(", ")", "|", "-", "%s", "{0}", "@", "a", "Z", "9",
  " ", "  ", "</script>", "<!--", "\\x00", "'\"'", "r'",
];

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function corpusString(rand: () => number, max = 6): string {
  const n = 1 + Math.floor(rand() * max);
  let s = "";
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(rand() * PIECES.length)] ?? "";
  return s;
}

/** A JavaScript (u flag) and Python regex matching exactly `s`. */
function literalRegex(s: string): string {
  return "^" + s.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&") + "$";
}

/** Descriptions that broke the emitters before, then random ones. */
const FIXED_DESCRIPTIONS = ['e.g. "Hello"', '"', '""', 'ends with a backslash \\', '"""triple"""', "a\"\"\"b", "*/ closes", "tab\there\r\nand CR\r"];

interface Corpus {
  schemas: Record<string, object>;
  descriptions: string[];
  value: Record<string, unknown>;
  patternKeys: string[];
  enumKeys: string[];
}

function makeCorpus(seed: number): Corpus {
  const rand = prng(seed);
  const descriptions: string[] = [];
  const props: Record<string, object> = {};
  const value: Record<string, unknown> = {};
  const patternKeys: string[] = [];
  const enumKeys: string[] = [];
  const desc = (i: number): string => {
    const d = FIXED_DESCRIPTIONS[i] ?? corpusString(rand, 8);
    descriptions.push(d);
    return d;
  };
  const enumValues = [...new Set([corpusString(rand), corpusString(rand), corpusString(rand)])];
  for (let i = 0; i < 30; i++) {
    let key = corpusString(rand, 4);
    while (key in props) key += "x";
    const kind = i % 4;
    if (kind === 0) {
      props[key] = { description: desc(i), type: "string", enum: enumValues };
      value[key] = enumValues[i % enumValues.length];
      enumKeys.push(key);
    } else if (kind === 1) {
      const lit = corpusString(rand, 5);
      props[key] = { description: desc(i), type: "string", pattern: literalRegex(lit) };
      value[key] = lit;
      patternKeys.push(key);
    } else if (kind === 2) {
      const c = corpusString(rand);
      props[key] = { description: desc(i), const: c };
      value[key] = c;
    } else {
      props[key] = { description: desc(i), type: "object", properties: { [corpusString(rand, 3)]: { type: "integer", description: desc(100) } }, additionalProperties: false };
      value[key] = {};
    }
  }
  const topDesc = 'The corpus: e.g. "Hello"';
  descriptions.push(topDesc);
  const enumDesc = corpusString(rand, 8) + '"';
  descriptions.push(enumDesc);
  return {
    schemas: {
      Fuzz: { $schema: "https://json-schema.org/draft/2020-12/schema", description: topDesc, type: "object", properties: props, required: Object.keys(props), additionalProperties: false },
      FuzzEnum: { description: enumDesc, type: "string", enum: enumValues },
    },
    descriptions,
    value,
    patternKeys,
    enumKeys,
  };
}

const PY_CHECK = String.raw`
import ast, json, sys
sys.path.insert(0, sys.argv[1])
import bale_gen
from bale_gen import models, runtime
def norm(d):
    # docstrings are re-indented, so compare line by line without the outer whitespace
    return "\n".join(line.strip() for line in d.replace("\r\n", "\n").replace("\r", "\n").split("\n")).strip()
docs = set()
src = open(sys.argv[1] + "/bale_gen/models.py", encoding="utf-8").read()
for node in ast.walk(ast.parse(src)):
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
        docs.add(norm(node.value.value))
results = []
for c in json.load(open(sys.argv[2], encoding="utf-8")):
    seed, value = c["seed"], c["value"]
    cls = getattr(models, "Fuzz" + str(seed))
    out = {}
    out["roundTrip"] = cls.from_dict(value).to_dict() == value
    out["loaded"] = getattr(bale_gen, "load_fuzz" + str(seed))(c["configFile"]).to_dict() == value
    out["enum"] = [getattr(models, "parse_fuzz" + str(seed) + "_enum")(v) == v for v in c["enumValues"]]
    rejected = []
    for k in c["patternKeys"]:
        bad = dict(value)
        bad[k] = value[k] + "\n"
        try:
            cls.from_dict(bad)
            rejected.append(False)
        except runtime.ValidationError:
            rejected.append(True)
    out["patternNewlineRejected"] = rejected
    out["missingDocs"] = [d for d in c["descriptions"] if norm(d) not in docs]
    results.append(out)
print(json.dumps(results))
`;

const SEEDS = [1, 2, 3, 4];

test(`escaping fuzz corpus (${SEEDS.length} seeds): generated TypeScript compiles, Python imports, values and docs round-trip`, async () => {
  const root = tmp("bale-fuzz-");
  mkdirSync(join(root, "schemas"));
  mkdirSync(join(root, "out"));
  const corpora = SEEDS.map((seed) => ({ seed, ...makeCorpus(seed) }));
  for (const c of corpora) {
    writeFileSync(join(root, "schemas", `Fuzz${c.seed}.schema.json`), JSON.stringify(c.schemas["Fuzz"], null, 2));
    writeFileSync(join(root, "schemas", `Fuzz${c.seed}Enum.schema.json`), JSON.stringify(c.schemas["FuzzEnum"], null, 2));
  }
  writeFileSync(join(root, "out/bale-manifest.json"), JSON.stringify({ version: 1, artifacts: [], schemas: {} }));
  const gen = join(root, "gen");
  generateBindings({ root, outDir: gen, langs: ["ts", "python"] });

  const tsFiles = readdirSync(join(gen, "ts")).filter((f) => f.endsWith(".ts")).map((f) => join(gen, "ts", f));
  const tsc = spawnSync(
    process.execPath,
    [
      join(ROOT, "node_modules/typescript/bin/tsc"),
      "--strict", "--noEmit", "--exactOptionalPropertyTypes", "--noUncheckedIndexedAccess", "--skipLibCheck",
      "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext",
      "--types", "node", "--typeRoots", join(ROOT, "node_modules/@types"),
      ...tsFiles,
    ],
    { encoding: "utf8", env: env(), timeout: 120_000 },
  );
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);

  // TypeScript validators: the value passes; each pattern literal plus "\n" and an unknown enum value fail.
  const v = (await import(pathToFileURL(join(gen, "ts/validators.ts")).href)) as Record<string, (x: unknown) => boolean>;
  const checks = [];
  for (const c of corpora) {
    const validate = v[`validate_Fuzz${c.seed}`];
    assert.ok(validate);
    assert.equal(validate(c.value), true, JSON.stringify((validate as unknown as { errors: unknown }).errors));
    for (const k of c.patternKeys) assert.equal(validate({ ...c.value, [k]: `${String(c.value[k])}\n` }), false, `TS accepted a trailing newline for ${JSON.stringify(k)}`);
    for (const k of c.enumKeys) assert.equal(validate({ ...c.value, [k]: "\u0001not-in-enum" }), false);
    const configFile = join(root, `fuzz${c.seed}.json`);
    writeFileSync(configFile, JSON.stringify(c.value));
    const enumValues = (c.schemas["FuzzEnum"] as { enum: string[] }).enum;
    checks.push({ seed: c.seed, value: c.value, descriptions: c.descriptions, patternKeys: c.patternKeys, enumValues, configFile });
  }
  const dataFile = join(root, "check.json");
  writeFileSync(dataFile, JSON.stringify(checks));
  const py = spawnSync("python3", ["-I", "-c", PY_CHECK, join(gen, "python"), dataFile], { encoding: "utf8", env: env(), timeout: 60_000 });
  assert.equal(py.status, 0, py.stderr);
  const results = JSON.parse(py.stdout) as { roundTrip: boolean; loaded: boolean; enum: boolean[]; patternNewlineRejected: boolean[]; missingDocs: string[] }[];
  checks.forEach((c, i) => {
    const r = results[i];
    assert.ok(r);
    assert.deepEqual(r.missingDocs, [], `seed ${c.seed}: descriptions that do not read back as docstrings`);
    assert.equal(r.roundTrip, true, `seed ${c.seed}`);
    assert.equal(r.loaded, true, `seed ${c.seed}`);
    assert.deepEqual(r.enum, c.enumValues.map(() => true));
    assert.deepEqual(r.patternNewlineRejected, c.patternKeys.map(() => true), `seed ${c.seed}: Python accepted a trailing newline after a pattern literal`);
  });
});

test("a lone surrogate in a property name or a string of a schema is refused with gen-schema, not a crash", () => {
  const root = tmp("bale-fuzz-");
  mkdirSync(join(root, "schemas"));
  mkdirSync(join(root, "out"));
  writeFileSync(join(root, "schemas/Bad.schema.json"), JSON.stringify({ type: "object", properties: { "a\ud800": { type: "string" } } }));
  writeFileSync(join(root, "out/bale-manifest.json"), JSON.stringify({ version: 1, artifacts: [], schemas: {} }));
  assert.throws(
    () => generateBindings({ root, outDir: join(root, "gen"), langs: ["ts", "python"] }),
    (e: unknown) => e instanceof BaleError && e.code === "gen-schema" && /lone UTF-16 surrogate\) at "\/properties\/a\\ud800"/.test(e.message),
  );
  writeFileSync(join(root, "schemas/Bad.schema.json"), JSON.stringify({ type: "string", description: "x\udfff" }));
  assert.throws(
    () => generateBindings({ root, outDir: join(root, "gen"), langs: ["python"] }),
    (e: unknown) => e instanceof BaleError && e.code === "gen-schema" && /at "\/description"/.test(e.message),
  );
});
