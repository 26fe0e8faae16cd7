/**
 * The README's error tables, rendered from the catalog. Each area's table sits between
 * `<!-- diagnostics:AREA -->` and `<!-- /diagnostics:AREA -->`; everything else in the README is
 * left as it is. Run by `node scripts/gen-error-table.mjs` (and `npm run update-goldens`);
 * test/unit/diagnostics.test.ts fails when the README is not what this renders.
 */
import { AREA_ANCHORS, DIAGNOSTICS, templateText, type DiagnosticArea, type DiagnosticCode, type DiagnosticDef } from "./catalog.js";

const AREAS: DiagnosticArea[] = ["pack", "archive", "config", "gen", "fleet"];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function headingSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The anchors of every heading in a Markdown text (GitHub numbers repeats: `errors`, `errors-1`). */
export function headingAnchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fence = false;
  for (const line of markdown.split("\n")) {
    if (/^(```|~~~)/.test(line)) fence = !fence;
    const m = fence ? null : /^#{1,6}\s+(.*)$/.exec(line);
    if (!m) continue;
    const slug = headingSlug(m[1] ?? "");
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

/** A message template as a Markdown code span (`{name}` where a parameter goes), safe in a table cell. */
function codeSpan(text: string): string {
  const fence = text.includes("`") ? "``" : "`";
  const pad = fence.length > 1 ? " " : "";
  return `${fence}${pad}${text.replace(/\|/g, "\\|")}${pad}${fence}`;
}

/** The messages of a code as the README lists them: its own, then each variant's, one a line. */
function messagesCell(d: DiagnosticDef): string {
  const texts = [d.message, ...Object.values(d.variants ?? {}).map((v) => v.message)].filter((m) => m !== undefined).map((m) => templateText(m));
  return [...new Set(texts)].map(codeSpan).join("<br>");
}

/** The Markdown table of one area's codes, in catalog order. */
export function renderAreaTable(area: DiagnosticArea): string {
  const rows = ["| code | meaning | message |", "| --- | --- | --- |"];
  for (const [code, d] of Object.entries(DIAGNOSTICS) as Array<[DiagnosticCode, DiagnosticDef]>) {
    if (d.area !== area) continue;
    const anchor = d.anchor;
    const see = anchor !== undefined && anchor !== AREA_ANCHORS[area] ? ` ([more](#${anchor}))` : "";
    const warning = d.severity === "warning" ? "*warning:* " : "";
    rows.push(`| \`${code}\` | ${warning}${d.summary.replace(/\|/g, "\\|")}${see} | ${messagesCell(d)} |`);
  }
  return rows.join("\n");
}

/**
 * The README with every area's table replaced by what the catalog says. Throws if a marker pair is
 * missing or a code's anchor names no heading of the README.
 */
export function renderErrorTables(readme: string): string {
  const anchors = headingAnchors(readme);
  const problems: string[] = [];
  for (const [code, d] of Object.entries(DIAGNOSTICS)) {
    const anchor = "anchor" in d && d.anchor !== undefined ? d.anchor : AREA_ANCHORS[d.area];
    if (!anchors.has(anchor)) problems.push(`${code}: the README has no heading #${anchor}`);
  }
  let out = readme;
  for (const area of AREAS) {
    const open = `<!-- diagnostics:${area} -->`;
    const close = `<!-- /diagnostics:${area} -->`;
    const a = out.indexOf(open);
    const b = out.indexOf(close);
    if (a < 0 || b < a) {
      problems.push(`the README has no ${open} ... ${close} pair`);
      continue;
    }
    out = `${out.slice(0, a + open.length)}\n${renderAreaTable(area)}\n${out.slice(b)}`;
  }
  if (problems.length) throw new Error(`cannot render the README's error tables:\n${problems.join("\n")}`);
  return out;
}
