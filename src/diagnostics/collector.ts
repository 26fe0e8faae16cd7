/**
 * The one way bale gathers problems while it works: a `Diagnostics` collector is handed down to the
 * steps that may find several (every bad schema of a project, every warning of a pack), instead of
 * arrays passed in to be pushed into. Errors are `BaleError`s with catalog codes; warnings are
 * `BaleWarning`s whose code must have severity "warning" in the catalog (anything else fails tsc);
 * both are made from the catalog's templates (src/diagnostics/create.ts).
 * A step that can go no further throws; the caller decides when the collected errors stop the
 * command (`throwIfFailed`).
 */
import { type BaleError, BaleErrors } from "../errors.js";
import type { ParamsOf, WarningCode } from "./catalog.js";
import { warning, type WarningKey } from "./create.js";

/** Something that may make a result behave other than the user expects; the command still succeeds. */
export interface BaleWarning {
  code: WarningCode;
  /** One or more sentences, the fix included. */
  message: string;
}

export class Diagnostics {
  readonly errors: BaleError[] = [];
  readonly warnings: BaleWarning[] = [];

  /** Records an error (made with `diag(...)`). */
  error(e: BaleError): void {
    this.errors.push(e);
  }

  /** Records the warning of a catalog key (see `warning`). */
  warn<K extends WarningKey>(key: K, params: ParamsOf<K>): void {
    this.warnings.push(warning(key, params));
  }

  /** Takes over what another collector (or a step's returned warnings) found. */
  addWarnings(warnings: Iterable<BaleWarning>): void {
    for (const w of warnings) this.warnings.push(w);
  }

  get failed(): boolean {
    return this.errors.length > 0;
  }

  /** Throws every error collected so far, in order, as one BaleErrors; returns if there is none. */
  throwIfFailed(): void {
    if (this.errors.length) throw new BaleErrors([...this.errors]);
  }
}

/** The CLI's one-line form of a warning: `message [code]`. */
export function warningLine(w: BaleWarning): string {
  return `${w.message} [${w.code}]`;
}
