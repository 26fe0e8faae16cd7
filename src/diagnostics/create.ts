/**
 * The one way library code reports a diagnostic: `diag(key, params, init?)` makes the BaleError of a
 * catalog entry (src/diagnostics/catalog.ts), its message and fix filled in from the entry's
 * templates; `warning(key, params)` makes a BaleWarning. `key` is a code or `code:variant`; a wrong
 * key, a missing or an extra parameter fails tsc. `init` gives the location, details and cause; it may
 * give a fix only where the catalog has none for that key (a fix computed at the site, such as a
 * "did you mean").
 *
 * Not for code that ships inside archives (see the catalog's header): that constructs BaleError.
 */
import { ioProblem } from "../atomic.js";
import { BaleError, type BaleErrorInit } from "../errors.js";
import type { BaleWarning } from "./collector.js";
import { formOf, type CodeOf, type HasFix, type MessageKey, type ParamName, type ParamsExcept, type ParamsOf, type WarningCode } from "./catalog.js";

/** Where a diagnostic is, and what more it says; `fix` only where the catalog has none for the key. */
export type DiagInit<K extends MessageKey> = Omit<BaleErrorInit, "fix"> & (HasFix<K> extends true ? { fix?: never } : { fix?: string });

export function diag<K extends MessageKey>(key: K, params: ParamsOf<K>, init?: DiagInit<K>): BaleError & { code: CodeOf<K> } {
  const f = formOf(key, params);
  const fix = f.fix ?? init?.fix;
  return new BaleError(f.code, f.message, { ...init, ...(fix !== undefined ? { fix } : {}) }) as BaleError & { code: CodeOf<K> };
}

/** A warning's key: a warning code, or one of its variants. */
export type WarningKey = Extract<MessageKey, WarningCode | `${WarningCode}:${string}`>;

/** A warning: its message, then its fix (if the catalog gives one), as one text. */
export function warning<K extends WarningKey>(key: K, params: ParamsOf<K>): BaleWarning {
  const f = formOf(key, params);
  return { code: f.code as WarningCode, message: f.fix === undefined ? f.message : `${f.message}; ${f.fix}` };
}

/** The keys whose message has a `reason` parameter: what `ioDiag` fills in from the errno. */
export type IoKey = { [K in MessageKey]: "reason" extends ParamName<K> ? K : never }[MessageKey];

/**
 * The user error for a file-system error caused by the path the user gave (unwritable, read-only,
 * full, missing): the key's message with `reason` from the errno ("permission denied (EACCES)"), and
 * a fix the errno may extend ("free some space there, or ..."). A BaleError passes as it is; null if
 * the error is not one the user can fix (a bug keeps its stack).
 */
export function ioDiag<K extends IoKey>(e: unknown, key: K, params: ParamsExcept<K, "reason">, file: string): BaleError | null {
  if (e instanceof BaleError) return e;
  const p = ioProblem(e);
  if (!p) return null;
  const f = formOf(key, { ...params, reason: p.reason });
  const fix = p.fix && f.fix ? `${p.fix}, or ${f.fix}` : (f.fix ?? p.fix);
  return new BaleError(f.code, f.message, { file, ...(fix !== undefined ? { fix } : {}), cause: e });
}

/** `ioDiag`, thrown; an error that is not the user's is rethrown as it is. */
export function userIo<K extends IoKey>(e: unknown, key: K, params: ParamsExcept<K, "reason">, file: string): never {
  throw ioDiag(e, key, params, file) ?? e;
}
