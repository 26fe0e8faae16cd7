/** src/schema/: JSON pointers, schema names, `$ref` resolution (checked against ajv's own) and loading. */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { makeAjv } from "../../src/config-compiler/ajv.js";
import { listSchemaFiles, parseSchemaFile } from "../../src/schema/load.js";
import { schemaFileOf, schemaKeyOf, schemaNameOf, schemaNameProblem, suggestedSchemaFile } from "../../src/schema/names.js";
import { appendPointer, escapeToken, formatPointer, fragmentToPointer, getPointer, parsePointer } from "../../src/schema/pointer.js";
import { mapRefs, SchemaRefs, walkRefs, type RefSchema } from "../../src/schema/ref.js";
import { tmp } from "../helpers.js";

test("pointers: tokens escape ~ and / and round-trip", () => {
  for (const tokens of [[], [""], ["a/b", "~0", "~1/~"], ["%25", "x y", "0"]]) {
    assert.deepEqual(parsePointer(formatPointer(tokens)), tokens);
  }
  assert.equal(escapeToken("a~/b"), "a~0~1b");
  assert.equal(appendPointer("/x", "a/b"), "/x/a~1b");
  assert.equal(appendPointer("", 3), "/3");
  assert.equal(fragmentToPointer("/%24defs/a%2Fb"), "/$defs/a/b");
  assert.equal(fragmentToPointer("/%E0%A4%A"), undefined);
});

test("getPointer follows own members and canonical array indices only", () => {
  const doc = { a: [10, { "b/c": true, "~": null }], "": 1 };
  assert.equal(getPointer(doc, ""), doc);
  assert.equal(getPointer(doc, "/a/0"), 10);
  assert.equal(getPointer(doc, "/a/1/b~1c"), true);
  assert.equal(getPointer(doc, "/a/1/~0"), null);
  assert.equal(getPointer(doc, "/"), 1);
  assert.equal(getPointer(doc, ["a", "1", "b/c"]), true);
  for (const p of ["/a/01", "/a/-", "/a/", "/a/2", "/constructor", "/a/length", "/a/0/x", "/__proto__"]) assert.equal(getPointer(doc, p), undefined, p);
});

test("schema names: the file stem, PascalCase, not reserved", () => {
  assert.equal(schemaNameOf("schemas/GreeterConfig.schema.json"), "GreeterConfig");
  assert.equal(schemaNameOf("GreeterConfig.schema.json"), "GreeterConfig");
  assert.equal(schemaKeyOf("A"), "A.schema.json");
  assert.equal(schemaFileOf("A"), "schemas/A.schema.json");
  assert.equal(schemaNameProblem("GreeterConfig"), undefined);
  assert.equal(schemaNameProblem("A_2"), undefined);
  for (const bad of ["greeter-config", "greeterConfig", "1A", "_A", "", "A-B"]) assert.match(schemaNameProblem(bad) ?? "", /PascalCase/, bad);
  for (const reserved of ["Service", "SchemaName", "ServiceMethod", "ServiceDefinition", "default"]) assert.match(schemaNameProblem(reserved) ?? "", /reserved/, reserved);
  assert.equal(suggestedSchemaFile("greeter-config"), "schemas/GreeterConfig.schema.json");
  assert.equal(suggestedSchemaFile("Service"), "schemas/ServiceConfig.schema.json");
});

const SCHEMAS: RefSchema[] = [
  { name: "Person" },
  { name: "Address", id: "https://example.com/schemas/address.json" },
  { name: "Geo", id: "https://example.com/schemas/geo/Geo.schema.json" },
  { name: "Tag" },
];

test("$refs resolve by file name, ./file name, $id, and relative to the referrer's $id", () => {
  const refs = new SchemaRefs(SCHEMAS);
  const ok = (ref: string, from: string) => {
    const r = refs.resolve(ref, from);
    assert.ok(r.ok, `${ref} from ${from}`);
    return [r.schema, r.pointer, r.fragment, r.external];
  };
  assert.deepEqual(ok("Tag.schema.json", "Person"), ["Tag", "", "", true]);
  assert.deepEqual(ok("./Tag.schema.json#/$defs/X", "Person"), ["Tag", "/$defs/X", "/$defs/X", true]);
  assert.deepEqual(ok("https://example.com/schemas/address.json", "Person"), ["Address", "", "", true]);
  assert.deepEqual(ok("https://example.com/schemas/address.json#/%24defs/a~1b", "Person"), ["Address", "/$defs/a~1b", "/%24defs/a~1b", true]);
  assert.deepEqual(ok("geo/Geo.schema.json", "Address"), ["Geo", "", "", true]);
  assert.deepEqual(ok("address.json", "Address"), ["Address", "", "", true]);
  assert.deepEqual(ok("#/$defs/Local", "Person"), ["Person", "/$defs/Local", "/$defs/Local", false]);
  assert.deepEqual(ok("#", "Person"), ["Person", "", "", false]);
  assert.deepEqual(ok("Person.schema.json", "Person"), ["Person", "", "", true]);
  const bad = (ref: string, from: string) => {
    const r = refs.resolve(ref, from);
    return r.ok ? "ok" : r.problem;
  };
  assert.equal(bad("Nope.schema.json", "Person"), "unknown-schema");
  assert.equal(bad("Tag.schema.json", "Address"), "unknown-schema"); // relative to address.json's base, as ajv resolves it
  assert.equal(bad("schemas/Tag.schema.json", "Person"), "unknown-schema");
  assert.equal(bad("Tag.schema.json#anchor", "Person"), "anchor");
  assert.equal(bad("#/%zz", "Person"), "encoding");
  assert.deepEqual(refs.directRefs({ a: { $ref: "Tag.schema.json" }, b: [{ $ref: "#/x" }, { $ref: "Person.schema.json" }, { $ref: "Nope.schema.json" }], c: { $ref: "https://example.com/schemas/address.json#/x" } }, "Person"), ["Address", "Tag"]);
});

test("$ref resolution agrees with ajv on which refs resolve, and to which schema", () => {
  const forms = [
    "Tag.schema.json", "./Tag.schema.json", "../schemas/Tag.schema.json", "../Tag.schema.json", "a/../Tag.schema.json", "//host/Tag.schema.json", "schemas/Tag.schema.json", "/Tag.schema.json",
    "https://example.com/schemas/address.json", "address.json", "geo/Geo.schema.json", "https://example.com/schemas/geo/Geo.schema.json",
    "Geo.schema.json", "Nope.schema.json",
  ];
  const target = { type: "object", required: ["mark"], properties: { mark: { const: 1 } } };
  const outcomes = new Set<string>();
  for (const from of SCHEMAS) {
    for (const ref of forms) {
      const refs = new SchemaRefs(SCHEMAS);
      const r = refs.resolve(ref, from.name);
      const json = (s: RefSchema): object => ({
        ...(s.id ? { $id: s.id } : {}),
        ...(s.name === from.name ? { type: "object", properties: { x: { $ref: ref } } } : { ...target, properties: { mark: { const: s.name } } }),
      });
      const ajv = makeAjv(SCHEMAS.map((s) => ({ name: s.name, key: schemaKeyOf(s.name), json: json(s) })));
      let resolved: string | undefined;
      try {
        const validate = ajv.getSchema(schemaKeyOf(from.name));
        assert.ok(validate);
        resolved = SCHEMAS.find((s) => s.name !== from.name && validate({ x: { mark: s.name } }))?.name ?? (validate({ x: {} }) ? "(none)" : "?");
      } catch {
        resolved = undefined;
      }
      const ours = r.ok ? r.schema : undefined;
      if (ours === from.name) continue; // a self-reference: ajv recurses into the referrer, nothing to compare by marks
      assert.equal(ours, resolved, `${JSON.stringify(ref)} from ${from.name}: ours ${ours}, ajv ${resolved}`);
      outcomes.add(String(resolved));
    }
  }
  assert.deepEqual([...outcomes].sort(), ["Address", "Geo", "Tag", "undefined"]);
});

test("walkRefs and mapRefs visit every $ref string", () => {
  const doc = { $ref: "A.schema.json", properties: { $ref: { type: "string" }, b: { items: [{ $ref: "#/x" }] } } };
  const seen: string[] = [];
  walkRefs(doc, (r) => seen.push(r));
  assert.deepEqual(seen, ["A.schema.json", "#/x"]);
  const mapped = mapRefs(doc, (r) => r.toUpperCase());
  assert.deepEqual(mapped, { $ref: "A.SCHEMA.JSON", properties: { $ref: { type: "string" }, b: { items: [{ $ref: "#/X" }] } } });
  assert.equal(doc.$ref, "A.schema.json");
});

test("loading: schema files listed sorted; names, JSON and objects checked in that order", () => {
  const root = tmp("bale-schema-load-");
  assert.deepEqual(listSchemaFiles(root), []);
  writeFileSync(join(root, "schemas"), "not a dir");
  assert.deepEqual(listSchemaFiles(root), []);
  const r2 = join(root, "p");
  mkdirSync(join(r2, "schemas"), { recursive: true });
  for (const f of ["B.schema.json", "A.schema.json", "A.validate.ts", "notes.json"]) writeFileSync(join(r2, "schemas", f), "{}");
  assert.deepEqual(listSchemaFiles(r2), ["schemas/A.schema.json", "schemas/B.schema.json"]);

  assert.deepEqual(parseSchemaFile("schemas/A.schema.json", '{"$id": "x", "type": "object"}'), { ok: true, schema: { name: "A", file: "schemas/A.schema.json", json: { $id: "x", type: "object" }, id: "x" } });
  const problem = (file: string, text: string) => {
    const r = parseSchemaFile(file, text);
    return r.ok ? undefined : r.problem.kind;
  };
  assert.equal(problem("schemas/bad-name.schema.json", "{"), "name");
  assert.equal(problem("schemas/Service.schema.json", "{}"), "name");
  assert.equal(problem("schemas/A.schema.json", "{"), "json");
  assert.equal(problem("schemas/A.schema.json", "[]"), "not-object");
  assert.equal(problem("schemas/A.schema.json", "null"), "not-object");
});
