/**
 * The config compiler's diagnostics. Every user-facing failure has a stable code
 * (in the catalog of all of bale, src/diagnostics/catalog.ts, and the README's "Errors" of the config compiler), names a file (and line/column where known), says what is
 * wrong in one sentence and what to do about it; it is made with `diag` (src/diagnostics/create.ts)
 * from the catalog's message and fix.
 */
import { readFileSync } from "node:fs";
import { DIAGNOSTICS, type AreaCode } from "../diagnostics/catalog.js";

/** The config compiler's codes and their one-line meanings, taken from the one catalog of bale. */
export const CODES = Object.fromEntries(
  Object.entries(DIAGNOSTICS)
    .filter(([, d]) => d.area === "config")
    .map(([code, d]) => [code, d.summary]),
) as Record<ConfigErrorCode, string>;

export type ConfigErrorCode = AreaCode<"config">;

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

export { distance, suggest } from "../diagnostics/suggest.js";
