/**
 * `$ref`s as `bale config build` accepts them are what `bale gen` reads: a project whose schemas
 * refer to each other by `$id` (README "Schemas") builds, and gen then resolves the same refs in
 * every emitter (types, the TS validators, OpenAPI). Before src/schema/ref.ts, gen knew only
 * file names and refused such a project with gen-ref.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "node:test";
import { compileConfigs } from "../../src/config-compiler/index.js";
import { generateBindings } from "../../src/bindings/index.js";
import { tmp } from "../helpers.js";

function write(root: string, files: Record<string, unknown>): void {
  for (const [p, v] of Object.entries(files)) {
    mkdirSync(join(root, p, ".."), { recursive: true });
    writeFileSync(join(root, p), typeof v === "string" ? v : JSON.stringify(v, null, 2));
  }
}

test("schemas that $ref each other by $id build, and gen resolves the refs the same way in every emitter", async () => {
  const root = join(tmp("bale-schema-refs-"), "p");
  write(root, {
    "schemas/Address.schema.json": {
      $id: "https://example.com/schemas/address.json",
      type: "object",
      additionalProperties: false,
      required: ["street"],
      properties: { street: { type: "string" }, region: { $ref: "#/$defs/Region" } },
      $defs: { Region: { type: "string", enum: ["north", "south"] } },
    },
    "schemas/HelloRequest.schema.json": {
      type: "object",
      additionalProperties: false,
      required: ["name"],
      properties: {
        name: { type: "string" },
        home: { $ref: "https://example.com/schemas/address.json" },
        region: { $ref: "https://example.com/schemas/address.json#/$defs/Region" },
      },
    },
    "schemas/HelloReply.schema.json": { type: "object", properties: { message: { type: "string" } } },
    "greeter.service.ts": 'import { Service } from "bale:schemas";\nexport default Service({ name: "demo.v1.Greeter", methods: { SayHello: { input: "HelloRequest", output: "HelloReply" } } });\n',
  });
  await compileConfigs({ root });
  const out = join(root, "gen");
  generateBindings({ root, outDir: out, langs: ["ts", "python"] });

  const types = readFileSync(join(out, "ts/types.ts"), "utf8");
  assert.match(types, /home\?: Address;/);
  assert.match(types, /region\?: "north" \| "south";/);

  const doc = JSON.parse(readFileSync(join(out, "openapi/demo.v1.Greeter.json"), "utf8")) as {
    components: { schemas: Record<string, { properties?: Record<string, { $ref?: string }> }> };
  };
  const req = doc.components.schemas.HelloRequest?.properties ?? {};
  assert.equal(req.home?.$ref, "#/components/schemas/Address");
  assert.equal(req.region?.$ref, "#/components/schemas/Address/$defs/Region");
  assert.ok(doc.components.schemas.Address, "Address is not among the components");

  const v = (await import(pathToFileURL(join(out, "ts/validators.ts")).href)) as Record<string, (x: unknown) => boolean>;
  const validate = v.validate_HelloRequest as (x: unknown) => boolean;
  assert.equal(validate({ name: "a", home: { street: "s", region: "north" }, region: "south" }), true);
  assert.equal(validate({ name: "a", home: { street: 1 } }), false);
  assert.equal(validate({ name: "a", region: "east" }), false);
});
