/**
 * Hermetic evaluation, beyond the bad-input corpus: results that must not depend on the build
 * machine (time zone, locale), and script output that must stay bounded.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, bale, env, tmp } from "../helpers.js";

function project(script: string): string {
  const dir = tmp("bale-hermetic-");
  cpSync(join(ROOT, "test/fixtures/config/bad/_base"), dir, { recursive: true });
  mkdirSync(join(dir, "configs"), { recursive: true });
  writeFileSync(join(dir, "configs/good.config.ts"), script);
  return dir;
}

test("dates format the same on every machine: no time zone or locale of the build machine leaks in", () => {
  const dir = project(
    [
      'import { AppConfig } from "bale:schemas";',
      "const d = new Date(Date.UTC(2024, 0, 1, 23, 30));",
      "const parts = new Intl.DateTimeFormat().formatToParts(d).map((p) => p.value).join('');",
      "const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;",
      'export default AppConfig({ name: "x", env: "dev", port: 1, extra: [d.toLocaleString(), d.toLocaleDateString(), d.toLocaleTimeString(), new Intl.DateTimeFormat().format(d), parts, tz] });',
      "",
    ].join("\n"),
  );
  const outputs: string[] = [];
  for (const [tz, lang] of [
    ["America/New_York", "en_US.UTF-8"],
    ["Asia/Tokyo", "de_DE.UTF-8"],
  ] as const) {
    rmSync(join(dir, "out"), { recursive: true, force: true });
    const r = bale(["config", "build", dir], { env: env({ TZ: tz, LANG: lang, LC_ALL: lang }) });
    assert.equal(r.status, 0, r.stderr);
    outputs.push(readFileSync(join(dir, "out/configs/good.json"), "utf8"));
  }
  assert.equal(outputs[0], outputs[1]);
  const tags = (JSON.parse(outputs[0] as string) as { extra: string[] }).extra;
  assert.deepEqual(tags, ["1/1/2024, 11:30:00 PM", "1/1/2024", "11:30:00 PM", "1/1/2024", "1/1/2024", "UTC"]);
});

test("huge console output is capped, not an internal error", () => {
  const dir = project(
    [
      'import { AppConfig } from "bale:schemas";',
      'const big = "x".repeat(100_000_000);',
      "for (let i = 0; i < 6; i++) console.log(big);",
      "for (let i = 0; i < 5000; i++) console.log(i);",
      'export default AppConfig({ name: "x", env: "dev", port: 1 });',
      "",
    ].join("\n"),
  );
  const r = bale(["config", "build", dir]);
  assert.equal(r.status, 0, r.stderr.slice(0, 2000));
  const all = r.stdout + r.stderr;
  assert.ok(all.length < 4 << 20, `output is ${all.length} characters`);
  assert.match(all, /more characters\)/);
  assert.match(all, /further console calls dropped/);
});
