/**
 * Finds the `require(expr)` and `import(expr)` calls in the app's own code whose argument no tool can
 * know before the app runs, so `bale pack` can name the file and line instead of failing silently
 * at run time. A computed path below the app's own directory (`require("./plugins/" + name)`,
 * `require(path.join(__dirname, name))`) is safe when the whole project is packed; a computed name
 * may be a package, packed only if the project declares it or `--external` names it.
 */
import { readFileSync } from "node:fs";
import { extname, relative } from "node:path";
import * as acorn from "acorn";
import { transformSync } from "esbuild";
import type { BaleWarning } from "../diagnostics/collector.js";
import { warning } from "../diagnostics/create.js";

type Node = acorn.Node & Record<string, unknown>;

export interface DynamicLoad {
  file: string;
  line: number;
  call: "require" | "import";
  /** "path": computed below a directory of the app; "name": anything else (may be a package). */
  kind: "path" | "name";
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Generated line (0-based) -> original line (0-based), from a source map's `mappings`. */
function lineMap(mappings: string): number[] {
  const out: number[] = [];
  let origLine = 0;
  const lines = mappings.split(";");
  for (let g = 0; g < lines.length; g++) {
    let first: number | undefined;
    for (const seg of (lines[g] as string).split(",")) {
      if (seg === "") continue;
      const fields: number[] = [];
      let value = 0;
      let shift = 0;
      for (const ch of seg) {
        const d = B64.indexOf(ch);
        value += (d & 31) << shift;
        if (d & 32) shift += 5;
        else {
          fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      if (fields.length >= 4) {
        origLine += fields[2] as number;
        first ??= origLine;
      }
    }
    out[g] = first ?? -1;
  }
  return out;
}

function isStatic(arg: Node | undefined): boolean {
  if (arg === undefined) return true;
  if (arg.type === "Literal") return true;
  return arg.type === "TemplateLiteral" && (arg.expressions as unknown[]).length === 0;
}

function startsRelative(s: unknown): boolean {
  return typeof s === "string" && /^(\.{1,2}\/|\/)/.test(s);
}

/** True if `arg` is computed but certainly below a directory of the app. */
function isPathLike(arg: Node): boolean {
  if (arg.type === "BinaryExpression") {
    let left = arg as Node;
    while (left.type === "BinaryExpression") left = left.left as Node;
    return (left.type === "Literal" && startsRelative(left.value)) || (left.type === "Identifier" && /^__(dirname|filename)$/.test(left.name as string));
  }
  if (arg.type === "TemplateLiteral") {
    const q = (arg.quasis as Node[])[0];
    const head = (q?.value as { cooked?: string } | undefined)?.cooked ?? "";
    return startsRelative(head) || (head === "" && ((arg.expressions as Node[])[0] as Node | undefined)?.type === "Identifier" && /^__(dirname|filename)$/.test(((arg.expressions as Node[])[0] as Node).name as string));
  }
  if (arg.type === "CallExpression") {
    const callee = arg.callee as Node;
    const args = arg.arguments as Node[];
    const a0 = args[0];
    const isPathCall = callee.type === "MemberExpression" && /^(join|resolve)$/.test(((callee.property as Node).name as string) ?? "");
    if (isPathCall && a0 !== undefined) return (a0.type === "Identifier" && /^__(dirname|filename)$/.test(a0.name as string)) || (a0.type === "Literal" && startsRelative(a0.value)) || a0.type === "MemberExpression";
    if (callee.type === "Identifier" && /^(join|resolve)$/.test(callee.name as string) && a0?.type === "Identifier") return /^__(dirname|filename)$/.test(a0.name as string);
  }
  if (arg.type === "NewExpression" && (arg.callee as Node).type === "Identifier" && (arg.callee as Node).name === "URL") return true;
  return false;
}

function walk(node: unknown, visit: (n: Node) => void): void {
  if (node === null || typeof node !== "object") return;
  if (Array.isArray(node)) {
    for (const c of node) walk(c, visit);
    return;
  }
  const n = node as Node;
  if (typeof n.type === "string") visit(n);
  for (const k of Object.keys(n)) {
    if (k === "loc" || k === "start" || k === "end") continue;
    const v = n[k];
    if (v !== null && typeof v === "object") walk(v, visit);
  }
}

function parse(code: string): acorn.Node | null {
  for (const sourceType of ["module", "script"] as const) {
    try {
      return acorn.parse(code, { ecmaVersion: "latest", sourceType, locations: true, allowHashBang: true, allowReturnOutsideFunction: true, allowAwaitOutsideFunction: true });
    } catch {
      /* try the other */
    }
  }
  return null;
}

/** The computed loads in one own source file (JavaScript or TypeScript). */
export function findDynamicLoads(file: string): DynamicLoad[] {
  let code = readFileSync(file, "utf8");
  let lines: number[] | null = null;
  if (/^\.(ts|tsx|mts|cts)$/.test(extname(file))) {
    try {
      const t = transformSync(code, { loader: file.endsWith("x") ? "tsx" : "ts", format: "esm", sourcemap: "external", sourcefile: file });
      code = t.code;
      lines = lineMap((JSON.parse(t.map) as { mappings: string }).mappings);
    } catch {
      return []; // compiling reports syntax errors
    }
  }
  const ast = parse(code.replace(/^#!.*/, ""));
  if (ast === null) return [];
  const out: DynamicLoad[] = [];
  walk(ast, (n) => {
    let call: "require" | "import" | null = null;
    let arg: Node | undefined;
    if (n.type === "ImportExpression") {
      call = "import";
      arg = n.source as Node;
    } else if (n.type === "CallExpression" && (n.callee as Node).type === "Identifier" && (n.callee as Node).name === "require") {
      call = "require";
      arg = (n.arguments as Node[])[0];
    }
    if (call === null || isStatic(arg)) return;
    const gen = (n.loc?.start.line ?? 1) - 1;
    const line = lines ? (lines[gen] ?? -1) + 1 : gen + 1;
    out.push({ file, line: line > 0 ? line : gen + 1, call, kind: arg !== undefined && isPathLike(arg) ? "path" : "name" });
  });
  return out;
}

/** One warning per computed load that may miss something, relative to `root`. */
export function dynamicWarnings(files: Iterable<string>, root: string, wholeProject: boolean): BaleWarning[] {
  const out: BaleWarning[] = [];
  for (const f of files) {
    if (!/\.(c|m)?(j|t)sx?$/.test(f) || f.endsWith(".d.ts")) continue;
    for (const d of findDynamicLoads(f)) {
      const at = `${relative(root, d.file) || d.file}:${d.line}`;
      if (d.kind === "name") {
        out.push(warning("pack-dynamic-name", { at, call: d.call }));
      } else if (!wholeProject) {
        out.push(warning("pack-dynamic-path", { at, call: d.call }));
      }
    }
  }
  return out;
}
