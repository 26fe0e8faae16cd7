/**
 * The runtime files `bale gen` copies verbatim into every output (after its `@generated` header):
 * real source files in src/bindings/runtime/, type-checked (tsc strict), linted and pyright-checked
 * as code, read from the installed package at gen time (`npm run build` copies them to
 * dist/bindings/runtime/, which the npm tarball carries).
 */
import { readFileSync } from "node:fs";

/** Every runtime file, by its name in src/bindings/runtime/. */
export const RUNTIME_FILES = ["runtime.ts", "runtime.py", "watch-runtime.ts", "watch.py"] as const;
export type RuntimeFile = (typeof RUNTIME_FILES)[number];

const DIR = new URL("./runtime/", import.meta.url);
const texts = new Map<RuntimeFile, string>();

/** The text of one runtime file. A missing file is a broken install (an internal error, not a user error). */
export function runtimeSource(file: RuntimeFile): string {
  let text = texts.get(file);
  if (text === undefined) {
    text = readFileSync(new URL(file, DIR), "utf8");
    texts.set(file, text);
  }
  return text;
}
