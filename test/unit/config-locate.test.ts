import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after } from "node:test";
import { SourceLocator } from "../../src/config-compiler/locate.js";
import { describeSchemaError } from "../../src/config-compiler/explain.js";
import { parseTscOutput } from "../../src/config-compiler/check.js";

const root = mkdtempSync(join(tmpdir(), "bale-locate-"));
after(() => rmSync(root, { recursive: true, force: true }));
function write(rel: string, text: string): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), text);
}

write("shared/base.ts", 'import data from "./data.json";\nexport const base = {\n  host: "h",\n  nested: { deep: [10, 20] },\n  fromJson: data.value,\n};\n');
write("shared/data.json", '{\n  "value": 5,\n  "list": [1, 2]\n}\n');
write(
  "a.config.ts",
  [
    'import { Cfg } from "bale:schemas";', // 1
    'import { base } from "./shared/base";', // 2
    "const port = 80;", // 3
    "function extra() {", // 4
    "  return { flag: true };", // 5
    "}", // 6
    "export default Cfg({", // 7
    "  ...base,", // 8
    "  port,", // 9
    "  more: extra(),", // 10
    '  list: ["a", "b"],', // 11
    "  computed: [1, 2].map((x) => x * 2),", // 12
    "});", // 13
    "",
  ].join("\n"),
);

test("a JSON pointer maps to the literal that set it: in the script, a spread shared module, a JSON import, a function's return", async () => {
  const l = await SourceLocator.create(root);
  assert.deepEqual(l.locate("a.config.ts", "/port"), { file: "a.config.ts", line: 3, column: 14, exact: true });
  assert.deepEqual(l.locate("a.config.ts", "/list/1"), { file: "a.config.ts", line: 11, column: 15, exact: true });
  assert.deepEqual(l.locate("a.config.ts", "/host"), { file: "shared/base.ts", line: 3, column: 9, exact: true });
  assert.deepEqual(l.locate("a.config.ts", "/nested/deep/1"), { file: "shared/base.ts", line: 4, column: 24, exact: true });
  assert.deepEqual(l.locate("a.config.ts", "/fromJson"), { file: "shared/data.json", line: 2, column: 12, exact: true });
  assert.deepEqual(l.locate("a.config.ts", "/more/flag"), { file: "a.config.ts", line: 5, column: 18, exact: true });
  assert.deepEqual(l.locate("a.config.ts", ""), { file: "a.config.ts", line: 7, column: 20, exact: true });
  // Computed: the nearest node, marked not exact.
  assert.deepEqual(l.locate("a.config.ts", "/computed/0"), { file: "a.config.ts", line: 12, column: 13, exact: false });
  assert.equal(l.locate("a.config.ts", "/missing")?.exact, false);
});

test("ajv errors become plain sentences with expected values", () => {
  const d = describeSchemaError(
    { instancePath: "/port", schemaPath: "#/properties/port/maximum", keyword: "maximum", params: { limit: 65535, comparison: "<=" }, message: "must be <= 65535", actual: "70000" },
    () => [],
  );
  assert.deepEqual(d, { pointer: "/port", text: "must be at most 65535, but it is 70000", expected: "at most 65535" });
  const a = describeSchemaError(
    { instancePath: "", schemaPath: "#/additionalProperties", keyword: "additionalProperties", params: { additionalProperty: "prot" }, message: "", actual: "1" },
    () => ["port", "host"],
  );
  assert.equal(a.pointer, "/prot");
  assert.equal(a.hint, 'did you mean "port"?');
  const t = describeSchemaError({ instancePath: "/n", schemaPath: "#/type", keyword: "type", params: { type: "integer" }, message: "", actual: '"80"' }, () => []);
  assert.equal(t.text, 'must be an integer, but it is a string ("80")');
});

test("tsc output lines become config-type-error diagnostics with their continuation lines", () => {
  const errs = parseTscOutput(root, `${root}/a.config.ts(9,3): error TS2322: Type 'string' is not assignable to type 'number'.\n  The expected type comes from property 'port'.\n`);
  assert.equal(errs.length, 1);
  const e = errs[0]!;
  assert.equal(e.code, "config-type-error");
  assert.equal(e.location, "a.config.ts:9:3");
  assert.match(e.message, /^TS2322: Type 'string'/);
  assert.equal(e.details[0], "The expected type comes from property 'port'.");
});
