/** Config projects and prebuilt out/ dirs for the fleet tests. */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { canonicalJson } from "../src/config-compiler/canonical.js";

export const FLAGS_SCHEMA = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  title: "Flags",
  type: "object",
  additionalProperties: false,
  required: ["greeting", "level"],
  properties: { greeting: { type: "string", minLength: 1 }, level: { type: "integer", minimum: 0, maximum: 100 } },
};

function write(root: string, rel: string, text: string): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), text);
}

/** A config project: schemas/Flags.schema.json and configs/<name>.config.ts per entry (values are TS expressions). */
export function writeProject(root: string, configs: Record<string, string>): void {
  write(root, "schemas/Flags.schema.json", JSON.stringify(FLAGS_SCHEMA, null, 2) + "\n");
  for (const [name, expr] of Object.entries(configs)) write(root, `configs/${name}.config.ts`, `import { Flags } from "bale:schemas";\nexport default Flags(${expr});\n`);
}

/** An out/ dir as `bale config build` writes it (bale-manifest.json + configs/<name>.json), without compiling. */
export function writeOut(out: string, values: Record<string, unknown>): void {
  const artifacts = Object.entries(values)
    .map(([name, v]) => {
      const text = canonicalJson(v);
      write(out, `configs/${name}.json`, text);
      return { output: `configs/${name}.json`, source: `configs/${name}.config.ts`, kind: "config", schema: "Flags", sha256: createHash("sha256").update(text).digest("hex"), dependencies: [`configs/${name}.config.ts`] };
    })
    .sort((a, b) => (a.output < b.output ? -1 : 1));
  write(out, "bale-manifest.json", canonicalJson({ version: 1, artifacts, schemas: { Flags: { file: "schemas/Flags.schema.json", sha256: "0".repeat(64) } } }));
}

export function manyValues(n: number, level: number): Record<string, unknown> {
  const v: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) v[`c${String(i).padStart(4, "0")}`] = { greeting: `hello ${i} ${"x".repeat(200)}`, level };
  return v;
}
