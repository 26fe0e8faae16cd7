import assert from "node:assert/strict";
import { test } from "node:test";
import { BaleError } from "../../src/errors.js";
import { buildTypeModel, type NamedType, type StructType } from "../../src/bindings/ir.js";
import type { JsonObject, SchemaFile } from "../../src/bindings/model.js";

function model(schemas: Record<string, JsonObject>) {
  const files: SchemaFile[] = Object.entries(schemas).map(([name, schema]) => ({ name, file: `schemas/${name}.schema.json`, schema }));
  return buildTypeModel(files);
}

function struct(t: NamedType | undefined): StructType {
  assert.ok(t && t.kind === "struct", `expected a struct, got ${JSON.stringify(t)}`);
  return t;
}

test("nested objects, array items and $defs get stable names from their position", () => {
  const m = model({
    Order: {
      type: "object",
      properties: {
        customer: { type: "object", properties: { name: { type: "string" } } },
        lines: { type: "array", items: { type: "object", properties: { sku: { type: "string" } } } },
        status: { $ref: "#/$defs/Status" },
        ship: { $ref: "#/$defs/Ship" },
      },
      $defs: { Status: { enum: ["open", "closed"] }, Ship: { type: "object", properties: { to: { type: "string" } } } },
    },
  });
  assert.deepEqual(m.types.map((t) => t.name), ["Order", "OrderCustomer", "OrderLinesItem", "OrderShip"]);
  const order = struct(m.byName.get("Order"));
  assert.deepEqual(order.fields.find((f) => f.name === "status")?.type, { kind: "literal", values: ["open", "closed"] });
  assert.deepEqual(order.fields.find((f) => f.name === "ship")?.type, { kind: "ref", name: "OrderShip" });
  assert.equal(order.closed, false);
});

test("nullable forms: type arrays, anyOf with null, enums containing null", () => {
  const m = model({
    A: {
      type: "object",
      additionalProperties: false,
      required: ["a"],
      properties: {
        a: { type: ["string", "null"], maxLength: 3 },
        b: { anyOf: [{ $ref: "B.schema.json" }, { type: "null" }] },
        c: { oneOf: [{ type: "null" }, { type: "integer" }] },
        d: { type: ["string", "null"], enum: ["x", null] },
        e: { type: ["string", "integer"] },
      },
    },
    B: { type: "object", properties: {} },
  });
  const a = struct(m.byName.get("A"));
  const f = (n: string) => a.fields.find((x) => x.name === n)?.type;
  assert.deepEqual(f("a"), { kind: "nullable", inner: { kind: "string", rules: { maxLength: 3 } } });
  assert.deepEqual(f("b"), { kind: "nullable", inner: { kind: "ref", name: "B" } });
  assert.deepEqual(f("c"), { kind: "nullable", inner: { kind: "integer", rules: {} } });
  assert.deepEqual(f("d"), { kind: "literal", values: ["x", null] });
  assert.deepEqual(f("e"), { kind: "any" }, "general unions are not modelled");
  assert.equal(a.closed, true);
  assert.equal(a.fields.find((x) => x.name === "a")?.required, true);
});

test("maps, top-level aliases and cross-file refs with fragments", () => {
  const m = model({
    Tags: { type: "array", items: { type: "string" }, uniqueItems: true },
    Lib: { $defs: { Money: { type: "object", required: ["cents"], properties: { cents: { type: "integer", minimum: 0 } } } } },
    Price: { type: "object", properties: { amount: { $ref: "Lib.schema.json#/$defs/Money" }, extra: { type: "object", additionalProperties: { type: "number" } } } },
  });
  assert.deepEqual(m.byName.get("Tags"), {
    kind: "alias",
    name: "Tags",
    origin: "schemas/Tags.schema.json#",
    type: { kind: "array", items: { kind: "string", rules: {} }, rules: { uniqueItems: true } },
  });
  const price = struct(m.byName.get("Price"));
  assert.deepEqual(price.fields[0]?.type, { kind: "ref", name: "LibMoney" });
  assert.deepEqual(price.fields[1]?.type, { kind: "map", values: { kind: "number", rules: {} }, rules: {} });
  assert.equal(struct(m.byName.get("LibMoney")).fields[0]?.name, "cents");
});

test("recursive schemas terminate", () => {
  const m = model({ Node: { type: "object", properties: { children: { type: "array", items: { $ref: "Node.schema.json" } } } } });
  assert.deepEqual(struct(m.byName.get("Node")).fields[0]?.type, { kind: "array", items: { kind: "ref", name: "Node" }, rules: {} });
});

test("a $ref to a missing schema is a BaleError naming the file", () => {
  assert.throws(
    () => model({ A: { type: "object", properties: { x: { $ref: "Nope.schema.json" } } } }),
    (e: unknown) => e instanceof BaleError && e.code === "gen-ref" && e.file === "schemas/A.schema.json",
  );
  assert.throws(
    () => model({ A: { type: "object", properties: { x: { $ref: "#/$defs/Nope" } } } }),
    (e: unknown) => e instanceof BaleError && /points at nothing/.test(e.message),
  );
});

test("a $ref pointer names own members only: #/constructor and #/$defs/toString point at nothing", () => {
  for (const ref of ["#/constructor", "#/$defs/toString", "#/$defs/__proto__"]) {
    assert.throws(
      () => model({ A: { type: "object", $defs: {}, properties: { x: { $ref: ref } } } }),
      (e: unknown) => e instanceof BaleError && e.code === "gen-ref" && /points at nothing/.test(e.message),
      ref,
    );
  }
});

test("a $ref by $id resolves to that schema (as config build resolves it)", () => {
  const files: SchemaFile[] = [
    { name: "A", file: "schemas/A.schema.json", schema: { type: "object", properties: { b: { $ref: "https://example.com/b.json" }, c: { $ref: "b.json#/$defs/C" } } }, id: "https://example.com/a.json" },
    { name: "B", file: "schemas/B.schema.json", schema: { type: "object", properties: { n: { type: "integer" } }, $defs: { C: { type: "string" } } }, id: "https://example.com/b.json" },
  ];
  const fields = struct(buildTypeModel(files).byName.get("A")).fields;
  assert.deepEqual(fields.map((f) => f.type), [{ kind: "ref", name: "B" }, { kind: "string", rules: {} }]);
});
