/** Resolves `bale pack <entry>`: a .ts/.js/.mjs/.cjs file, or a package directory via its `bin` or `main`. */
import { existsSync, statSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import { readPackageJson } from "./project.js";
import { diag } from "../diagnostics/create.js";

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
    throw diag("pack-entry-missing", {}, { file: entry });
  }
  if (st.isFile()) {
    const stem = basename(abs, extname(abs));
    return { file: abs, name: stem, packageJson: null };
  }
  const pj = join(abs, "package.json");
  if (!existsSync(pj)) {
    throw diag("pack-entry-no-package", {}, { file: entry });
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
  throw diag("pack-entry-unresolved", { tried: candidates.join(", ") }, { file: pj });
}
