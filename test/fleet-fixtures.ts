/** Config projects and prebuilt out/ dirs for the fleet tests. */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { canonicalJson } from "../src/config-compiler/canonical.js";
import type { EtcdClient } from "../src/fleet/etcd.js";

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

/**
 * The manifest a pointer key names, read straight from etcd (independently of src/fleet's reader): the
 * pointer, its root at <prefix>/manifests/<hash>, the shards the root lists; every value checked against its hash.
 */
export async function readLiveManifest(client: EtcdClient, prefix: string, key = `${prefix}/m/live`): Promise<{ hash: string; artifacts: Record<string, { sha256: string }> }> {
  const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");
  const get = async (k: string): Promise<Buffer> => {
    const kv = (await client.get(k)).kv;
    if (!kv) throw new Error(`${k} is missing`);
    return kv.value;
  };
  const pointer = JSON.parse((await get(key)).toString()) as { version: number; manifest: string };
  if (pointer.version !== 2) throw new Error(`${key} is not a layout-2 pointer`);
  const rootBytes = await get(`${prefix}/manifests/${pointer.manifest}`);
  if (sha(rootBytes) !== pointer.manifest) throw new Error("root does not match its hash");
  const root = JSON.parse(rootBytes.toString()) as { shards: string[] };
  const artifacts: Record<string, { sha256: string }> = {};
  for (const h of root.shards) {
    const b = await get(`${prefix}/manifests/${h}`);
    if (sha(b) !== h) throw new Error(`shard ${h} does not match its hash`);
    Object.assign(artifacts, (JSON.parse(b.toString()) as { artifacts: Record<string, { sha256: string }> }).artifacts);
  }
  return { hash: pointer.manifest, artifacts };
}
