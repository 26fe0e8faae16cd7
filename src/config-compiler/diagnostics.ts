/**
 * The config compiler's diagnostics catalog. Every user-facing failure has a stable code
 * (documented in the README, "Errors" of the config compiler), names a file (and line/column where known), says what is
 * wrong in one sentence and what to do about it.
 */
import { readFileSync } from "node:fs";
import { BaleError, type BaleErrorInit } from "../errors.js";

export const CODES = {
  "config-root-missing": "the project root does not exist or is not a directory",
  "config-project-file": "bale.config.json is invalid",
  "config-schema-json": "a schema file is not valid JSON",
  "config-schema-invalid": "a schema is not a valid JSON Schema 2020-12 document (ajv strict mode)",
  "config-schema-name": "a schema file name is not a usable type name",
  "config-syntax": "a script does not parse or bundle",
  "config-import-builtin": "a script imports a Node.js built-in module",
  "config-import-package": "a script imports a package that is not allow-listed",
  "config-import-outside-root": "a script imports a file outside the project root",
  "config-link-outside-root": "a script is a symbolic link that leads outside the project root (or nowhere)",
  "config-import-unresolved": "an import cannot be resolved",
  "config-unknown-schema": "a script names a schema that does not exist",
  "config-hermetic": "a script uses an API that hermetic evaluation forbids",
  "config-throw": "a script threw an exception while it was evaluated",
  "config-timeout": "a script ran longer than the time limit",
  "config-memory": "a script used more memory than the memory limit",
  "config-no-default-export": "a script has no default export",
  "config-not-constructed": "the default export was not made by a schema constructor",
  "config-wrong-kind": "a *.service.ts does not export a Service, or a *.config.ts does",
  "config-non-json": "the value is not plain JSON",
  "config-schema-violation": "the value does not match its schema",
  "config-validator-failed": "a validator module rejected the value",
  "config-validator-error": "a validator module is broken (throws, or returns something other than string[])",
  "config-duplicate-output": "two scripts compile to the same output file",
  "config-type-error": "TypeScript reports a type error",
  "config-typescript-missing": "the typescript package (needed by the type check) cannot be found",
  "config-output": "the output directory cannot be written",
} as const;

export type ConfigErrorCode = keyof typeof CODES;

export function configError(code: ConfigErrorCode, message: string, init: BaleErrorInit = {}): BaleError {
  return new BaleError(code, message, init);
}

/** A two-line code frame (`  12 | source` and a caret) for details, or [] if unreadable. */
export function codeFrame(absFile: string, line: number | undefined, column: number | undefined, text?: string): string[] {
  if (line === undefined) return [];
  let src: string;
  try {
    src = text ?? readFileSync(absFile, "utf8");
  } catch {
    return [];
  }
  const l = src.split(/\r?\n/)[line - 1];
  if (l === undefined) return [];
  const num = String(line);
  const frame = [`${num} | ${l.replace(/\t/g, " ")}`];
  if (column !== undefined && column >= 1) frame.push(`${" ".repeat(num.length)} | ${" ".repeat(column - 1)}^`);
  return frame;
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function distance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost));
    }
    prev = cur;
  }
  return prev[n] as number;
}

/** The closest candidate within a small edit distance, if any. */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}
