/**
 * Diagnostics shared by every part of bale.
 *
 * Library code throws `BaleError` for anything the user can fix (bad input,
 * a corrupt archive, a failing config). Each error has a stable code from the
 * catalog (src/diagnostics/catalog.ts: an unknown code fails tsc), names the file (and line/column where there is one), and
 * carries a one-sentence fix. Errors are made with `diag(key, params, init?)`
 * (src/diagnostics/create.ts) from the catalog's message and fix templates; only
 * the code that ships inside archives calls this constructor itself (see the catalog's header).
 * Only `src/cli` turns errors into text and exit codes; anything that is not a BaleError is an internal bug.
 */
import type { DiagnosticCode } from "./diagnostics/catalog.js";

export type { DiagnosticCode };

export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
}

export interface BaleErrorInit {
  /** The file the problem is in (or about), as the user would name it. */
  file?: string;
  line?: number;
  column?: number;
  /** What to do about it, as one imperative sentence. */
  fix?: string;
  /** Extra lines shown after the one-line summary (e.g. a code frame). */
  details?: string[];
  cause?: unknown;
}

export class BaleError extends Error {
  override readonly name = "BaleError";
  readonly code: DiagnosticCode;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly fix: string | undefined;
  readonly details: string[];

  constructor(code: DiagnosticCode, message: string, init: BaleErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = code;
    this.file = init.file;
    this.line = init.line;
    this.column = init.column;
    this.fix = init.fix;
    this.details = init.details ?? [];
  }

  /** `file:line:col` as editors and terminals link it, or "" when there is no file. */
  get location(): string {
    if (this.file === undefined) return "";
    let loc = this.file;
    if (this.line !== undefined) {
      loc += `:${this.line}`;
      if (this.column !== undefined) loc += `:${this.column}`;
    }
    return loc;
  }

  /** The one-line form: `file:line:col: message (fix: ...) [code]`. */
  oneLine(): string {
    const loc = this.location;
    const fix = this.fix ? ` Fix: ${sentence(this.fix)}` : "";
    return `${loc ? loc + ": " : ""}${sentence(this.message)}${fix} [${this.code}]`;
  }
}

/** Several independent user errors found in one pass (e.g. a config build). */
export class BaleErrors extends Error {
  override readonly name = "BaleErrors";
  readonly errors: BaleError[];
  constructor(errors: BaleError[]) {
    super(errors.map((e) => e.oneLine()).join("\n"));
    this.errors = errors;
  }
}

export function isBaleError(e: unknown): e is BaleError {
  return e instanceof BaleError;
}

/** Ends a phrase with a full stop unless it already ends in punctuation. */
function sentence(s: string): string {
  return /[.!?]$/.test(s) ? s : s + ".";
}

// The one errno -> user-error rule (ioErrorToUser, userIoError): src/atomic.ts.
