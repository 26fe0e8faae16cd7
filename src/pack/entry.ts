/** Resolves `bale pack <entry>`: a .ts/.js/.mjs/.cjs file, or a package directory via its `bin` or `main`. */
import { existsSync, statSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import { BaleError } from "../errors.js";
import { readPackageJson } from "./project.js";

export interface ResolvedEntry {
  /** Absolute path of the entry module. */
  file: string;
  /** Default app name: the package name (unscoped) for a package dir, else the file stem. */
  name: string;
  /** The package.json of a package-directory entry (packed too, so the app can read it). */
  packageJson: string | null;
}

export function resolveEntry(entry: string, cwd: string): ResolvedEntry {
  const abs = resolve(cwd, entry);
  let st;
  try {
    st = statSync(abs);
  } catch {
    throw new BaleError("pack-entry-missing", "the entry does not exist", {
      file: entry,
      fix: "pass a .ts/.js/.mjs/.cjs file or a package directory with a package.json",
    });
  }
  if (st.isFile()) {
    const stem = basename(abs, extname(abs));
    return { file: abs, name: stem, packageJson: null };
  }
  const pj = join(abs, "package.json");
  if (!existsSync(pj)) {
    throw new BaleError("pack-entry-no-package", "the entry is a directory without a package.json", {
      file: entry,
      fix: "pass the entry file itself, or a package directory whose package.json has `bin` or `main`",
    });
  }
  const pkg = readPackageJson(pj);
  const unscoped = (pkg.name ?? basename(abs)).replace(/^@[^/]+\//, "");
  let rel: string | undefined;
  if (typeof pkg.bin === "string") rel = pkg.bin;
  else if (pkg.bin && typeof pkg.bin === "object") rel = pkg.bin[unscoped] ?? Object.values(pkg.bin)[0];
  rel ??= pkg.main;
  const candidates = rel !== undefined ? [rel, `${rel}.js`, `${rel}/index.js`] : ["index.js", "index.ts", "index.mjs", "index.cjs"];
  for (const c of candidates) {
    const f = join(abs, c);
    if (existsSync(f) && statSync(f).isFile()) return { file: f, name: unscoped, packageJson: pj };
  }
  throw new BaleError("pack-entry-unresolved", `package.json names no entry file that exists (tried ${candidates.join(", ")})`, {
    file: pj,
    fix: "set `bin` or `main` in package.json to the app's entry file",
  });
}
