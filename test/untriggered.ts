/**
 * The catalog codes no test provokes, and why (read by test/unit/diagnostics.test.ts and the bad-input
 * corpora's coverage checks). Keep this short: a code that bad input can trigger gets a case instead.
 */
import type { DiagnosticCode } from "../src/diagnostics/catalog.js";

export const UNTRIGGERED: Partial<Record<DiagnosticCode, string>> = {
  "pack-duplicate-path":
    "a guard: every payload path comes from one project-relative path, and no input found so far makes two sources meet (a .ts beside its .js, an --include of a traced file, a file and a directory)",
  "pack-target-optional-no-build":
    "needs a registry package whose addon comes from an install script, as an optional dependency that npm installs for another platform (the network; pack-target.test.ts tests the required case, pack-target-no-build)",
  "pack-trace-warning":
    "@vercel/nft 1.x warns only 'Failed to resolve dependency' and 'Failed to parse', which bale drops as expected; the code passes on whatever a later nft adds",
};

