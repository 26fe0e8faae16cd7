import assert from "node:assert/strict";
import { test } from "node:test";
import { PY_RESERVED, TS_RESERVED, camelCase, escape, pascalCase, pyString, sanitize, snakeCase, tsKey, words } from "../../src/bindings/names.js";
import { Printer } from "../../src/bindings/printer.js";

test("words split camel case, acronyms, digits and separators", () => {
  assert.deepEqual(words("maxNameLength"), ["max", "name", "length"]);
  assert.deepEqual(words("HTTPServer2"), ["http", "server2"]);
  assert.deepEqual(words("weird-key"), ["weird", "key"]);
  assert.deepEqual(words("SayHello"), ["say", "hello"]);
  assert.deepEqual(words("--"), []);
});

test("case conversions per language", () => {
  assert.equal(camelCase("SayHello"), "sayHello");
  assert.equal(snakeCase("SayHello"), "say_hello");
  assert.equal(snakeCase("GetHTTPStatus"), "get_http_status");
  assert.equal(pascalCase("lines"), "Lines");
  assert.equal(sanitize("1st"), "_1st");
  assert.equal(sanitize("a.b"), "a_b");
});

test("reserved words are escaped with a trailing underscore", () => {
  assert.equal(escape("class", PY_RESERVED), "class_");
  assert.equal(escape("from_dict", PY_RESERVED), "from_dict_");
  assert.equal(escape("Promise", TS_RESERVED), "Promise_");
  assert.equal(escape("Greeter", TS_RESERVED, new Set(["Greeter", "Greeter_"])), "Greeter__");
  assert.equal(escape("name", PY_RESERVED), "name");
});

test("string literals and keys", () => {
  assert.equal(tsKey("a"), "a");
  assert.equal(tsKey("weird-key"), '"weird-key"');
  assert.equal(pyString('a"b\\c\n'), '"a\\"b\\\\c\\n"');
  assert.equal(pyString("ü🌍"), '"ü🌍"');
  assert.equal(pyString("\u0000"), '"\\u0000"');
});

test("the printer indents, collapses blank lines and ends with one newline", () => {
  const p = new Printer("  ");
  p.blank();
  p.line("a {");
  p.indent(() => p.line("b;"));
  p.line("}");
  p.blank();
  p.blank();
  p.block("c {", () => p.line("d;"));
  p.blank(2);
  assert.equal(p.toString(), "a {\n  b;\n}\n\nc {\n  d;\n}\n");
  const py = new Printer("    ", "");
  py.block("def f():", () => py.line("return 1"));
  py.blank(2);
  py.line("x = 1");
  assert.equal(py.toString(), "def f():\n    return 1\n\n\nx = 1\n");
});
