/**
 * Golden files, honestly: a test compares what it produced with the committed golden; on a mismatch
 * it writes `<golden>.actual` (a file, or a directory for a tree) beside it and fails. Nothing in a
 * test run ever rewrites a golden: `npm run update-goldens` moves the `.actual`s over their goldens,
 * after a person has looked at the diff.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

const HOW = "look at the diff, then run `npm run update-goldens` to accept it";

/** Compares `actual` with the golden file; on a mismatch writes `<golden>.actual` and fails. */
export function assertGolden(golden: string, actual: string): void {
  const expected = existsSync(golden) ? readFileSync(golden, "utf8") : null;
  const side = `${golden}.actual`;
  if (expected === actual) {
    rmSync(side, { force: true });
    return;
  }
  writeFileSync(side, actual);
  assert.fail(`${relative(process.cwd(), golden)} differs from what the test produced (written to ${relative(process.cwd(), side)}): ${HOW}`);
}

function listTree(dir: string, base = dir): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? listTree(p, base) : [relative(base, p)];
    })
    .sort();
}

/** Compares a generated tree (relative path -> text) with a golden directory; on a mismatch writes `<golden>.actual/` and fails. */
export function assertGoldenTree(golden: string, files: Map<string, string>): void {
  const side = `${golden}.actual`;
  const names = [...files.keys()].sort();
  const same = JSON.stringify(listTree(golden)) === JSON.stringify(names) && names.every((n) => readFileSync(join(golden, n), "utf8") === files.get(n));
  rmSync(side, { recursive: true, force: true });
  if (same) return;
  for (const [n, text] of files) {
    mkdirSync(dirname(join(side, n)), { recursive: true });
    writeFileSync(join(side, n), text);
  }
  const changed = names.filter((n) => !existsSync(join(golden, n)) || readFileSync(join(golden, n), "utf8") !== files.get(n));
  const gone = listTree(golden).filter((n) => !files.has(n));
  assert.fail(
    `${relative(process.cwd(), golden)} differs (changed or new: ${changed.join(", ") || "none"}; gone: ${gone.join(", ") || "none"}); ` +
      `the produced tree is in ${relative(process.cwd(), side)}: ${HOW}`,
  );
}
