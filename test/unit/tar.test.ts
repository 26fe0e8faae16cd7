import { test } from "node:test";
import assert from "node:assert/strict";
import { PayloadTree, writeTar } from "../../src/pack/payload.js";
import { TarReader, TreeModel, checkTreeLinks, safeEntryPath, checkLinkTarget, type TarEntry } from "../../src/archive/tar.js";
import type { BaleError } from "../../src/errors.js";

function readAll(tar: Buffer, chunk: number): { entries: TarEntry[]; data: Map<string, string> } {
  const entries: TarEntry[] = [];
  const data = new Map<string, string>();
  let current = "";
  const r = new TarReader(
    {
      entry: (e) => {
        entries.push(e);
        current = e.path;
        data.set(current, "");
      },
      data: (c) => data.set(current, (data.get(current) ?? "") + Buffer.from(c).toString("utf8")),
      endEntry: () => {},
    },
    "test.tar",
  );
  for (let i = 0; i < tar.length; i += chunk) r.push(tar.subarray(i, i + chunk));
  r.end();
  return { entries, data };
}

test("tar written by the packer reads back identically, in any chunking, long names included", async () => {
  const tree = new PayloadTree();
  const long = "app/" + "very-long-directory-name/".repeat(12) + "file.txt"; // > 255 bytes: needs a pax header
  tree.add("app/main.cjs", { type: "file", source: Buffer.from("console.log(1)\n"), executable: false });
  tree.add("app/bin/tool", { type: "file", source: Buffer.from("#!/bin/sh\n"), executable: true });
  tree.add(long, { type: "file", source: Buffer.from("deep"), executable: false });
  tree.add("app/link", { type: "symlink", target: "bin/tool" });
  tree.add("app/empty.txt", { type: "file", source: Buffer.alloc(0), executable: false });
  const { tar, files, unpackedSize } = await writeTar(tree, 0);
  // Four app files, and last the cache's file list ("<f|d|l> <size> <path>" per entry, in tar order).
  assert.equal(files, 5);
  const list = readAll(tar, 1 << 20).data.get(".bale-files") ?? "";
  assert.equal(unpackedSize, 15 + 10 + 4 + list.length);
  assert.match(list, /^d 0 app\n/);
  assert.match(list, /^l 0 app\/link\n/m);
  assert.match(list, /^f 15 app\/main\.cjs\n/m);
  assert.equal(readAll(tar, 1 << 20).entries.at(-1)?.path, ".bale-files");
  for (const chunk of [1, 7, 512, 1 << 20]) {
    const { entries, data } = readAll(tar, chunk);
    const byPath = new Map(entries.map((e) => [e.path, e]));
    assert.equal(byPath.get("app")?.type, "directory");
    assert.equal(byPath.get("app/bin/tool")?.mode, 0o755);
    assert.equal(byPath.get("app/main.cjs")?.mode, 0o644);
    assert.equal(byPath.get("app/link")?.linkTarget, "bin/tool");
    assert.equal(data.get(long), "deep");
    assert.equal(data.get("app/main.cjs"), "console.log(1)\n");
    assert.equal(data.get("app/empty.txt"), "");
    // Parents come before children, paths are sorted; the file list comes last.
    const paths = entries.map((e) => e.path);
    assert.equal(paths.pop(), ".bale-files");
    assert.deepEqual(paths, [...paths].sort());
  }
});

test("the same tree gives the same tar bytes; the epoch is the only time recorded", async () => {
  const mk = () => {
    const t = new PayloadTree();
    t.add("app/b.txt", { type: "file", source: Buffer.from("b"), executable: false });
    t.add("app/a.txt", { type: "file", source: Buffer.from("a"), executable: false });
    return t;
  };
  const x = await writeTar(mk(), 1234);
  const y = await writeTar(mk(), 1234);
  const z = await writeTar(mk(), 99);
  assert.ok(x.tar.equals(y.tar));
  assert.ok(!x.tar.equals(z.tar));
});

test("a truncated tar stream is an error, not a silent success", async () => {
  const t = new PayloadTree();
  t.add("app/a.txt", { type: "file", source: Buffer.from("hello"), executable: false });
  const { tar } = await writeTar(t, 0);
  assert.throws(() => readAll(tar.subarray(0, 700), 512), /ends early/);
});

test("safeEntryPath normalises harmless forms and refuses escapes", () => {
  assert.equal(safeEntryPath("./app//x/./y", "t"), "app/x/y");
  for (const bad of ["/etc/passwd", "a/../../b", "..", "", "a\0b"]) assert.throws(() => safeEntryPath(bad, "t"), /refusing tar entry/, bad);
});

test("checkLinkTarget allows links inside the root only", () => {
  checkLinkTarget("app/node_modules/x", "../../store/x", "t");
  checkLinkTarget("app/a", "b/c", "t");
  assert.throws(() => checkLinkTarget("app/a", "../../x", "t"), /escapes/);
  assert.throws(() => checkLinkTarget("app/a", "/abs", "t"), /absolute/);
});

test("PayloadTree refuses two different files at one path", () => {
  const t = new PayloadTree();
  t.add("app/x", { type: "file", source: Buffer.from("1"), executable: false });
  assert.throws(() => t.add("app/x", { type: "file", source: Buffer.from("2"), executable: false }), /same place/);
});

test("symlinks are resolved as the kernel does: a chain that escapes only through another link is refused (pack and extract)", () => {
  const deep = Array.from({ length: 20 }, () => "d").join("/");
  const chain = new Map<string, { type: string; target?: string }>([
    ["app/main.js", { type: "file" }],
    [`app/${deep}/b`, { type: "symlink", target: "../".repeat(21).slice(0, -1) }],
    ["app/passwd", { type: "symlink", target: `${deep}/b/${"../".repeat(21)}etc/passwd` }],
  ]);
  // Each link alone passes the lexical check...
  for (const [p, e] of chain) if (e.type === "symlink") checkLinkTarget(p, e.target as string, "x");
  // ...the chain does not.
  assert.throws(() => checkTreeLinks(chain), (e: BaleError) => e.code === "pack-symlink-escape" && /app\/passwd -> .* resolves outside/.test(e.message));
  const model = new TreeModel();
  for (const [p, e] of chain) model.add(p, e.type as "file" | "symlink", e.target ?? "");
  assert.throws(() => model.checkLinks("a"), /resolves outside the archive root/);
  // Links that stay inside, dangling links and links to files are fine; a loop is refused.
  const ok = new TreeModel();
  ok.add("app/x/y", "file");
  ok.add("app/l1", "symlink", "x");
  ok.add("app/l2", "symlink", "l1/y");
  ok.add("app/l3", "symlink", "l1/../x/y");
  ok.add("app/dangling", "symlink", "nowhere/../../x");
  ok.checkLinks("a");
  const loop = new TreeModel();
  loop.add("app/a", "symlink", "b");
  loop.add("app/b", "symlink", "a/c");
  assert.throws(() => loop.checkLinks("a"), /symlink loop/);
});
