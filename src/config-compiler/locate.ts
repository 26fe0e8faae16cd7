/**
 * Maps a JSON pointer in a script's value back to the source literal that set it, by parsing
 * the script and the modules it imports with the TypeScript compiler API (no type checker).
 *
 * Starting at `export default`, it follows schema-constructor calls, object and array literals
 * (later properties and spreads win, as at run time), shorthand properties, identifiers bound by
 * `const`/`let`/`var`, functions' `return`s, property accesses, and relative imports (also of
 * JSON files). It stops at anything computed (a call to another function, a conditional, a
 * loop); then it reports the deepest node it reached, marked not exact.
 */
import { readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import type * as TS from "typescript";
import { toPosix } from "./discover.js";
import { parsePointer } from "../schema/pointer.js";

export interface Located {
  /** Root-relative file. */
  file: string;
  line: number;
  column: number;
  /** True when the whole pointer was followed to the node that sets the value. */
  exact: boolean;
}

interface Hit {
  node: TS.Node;
  sf: TS.SourceFile;
  rest: string[];
}

let tsPromise: Promise<typeof TS> | undefined;
export function loadTypeScript(): Promise<typeof TS> {
  tsPromise ??= import("typescript").then((m) => ((m as unknown as { default?: typeof TS }).default ?? m) as typeof TS);
  return tsPromise;
}

export class SourceLocator {
  private files = new Map<string, TS.SourceFile | null>();
  constructor(
    private readonly root: string,
    private readonly ts: typeof TS,
  ) {}

  static async create(root: string): Promise<SourceLocator> {
    return new SourceLocator(root, await loadTypeScript());
  }

  /** Where the value at `pointer` of `entry`'s default export was set, if the source shows it. */
  locate(entry: string, pointer: string | string[]): Located | undefined {
    const segs = Array.isArray(pointer) ? pointer : parsePointer(pointer);
    const sf = this.source(entry);
    if (!sf) return undefined;
    const start = this.defaultExport(sf);
    if (!start) return undefined;
    const hit = this.resolve(start, sf, segs, 0);
    const pos = hit.sf.getLineAndCharacterOfPosition(hit.node.getStart(hit.sf));
    return {
      file: toPosix(relative(this.root, hit.sf.fileName)),
      line: pos.line + 1,
      column: pos.character + 1,
      exact: hit.rest.length === 0,
    };
  }

  private source(rel: string): TS.SourceFile | undefined {
    const abs = join(this.root, rel);
    let sf = this.files.get(abs);
    if (sf === undefined) {
      try {
        const text = readFileSync(abs, "utf8");
        sf = abs.endsWith(".json")
          ? this.ts.parseJsonText(abs, text)
          : this.ts.createSourceFile(abs, text, this.ts.ScriptTarget.Latest, true, abs.endsWith(".js") || abs.endsWith(".mjs") ? this.ts.ScriptKind.JS : this.ts.ScriptKind.TS);
      } catch {
        sf = null;
      }
      this.files.set(abs, sf);
    }
    return sf ?? undefined;
  }

  private defaultExport(sf: TS.SourceFile): TS.Node | undefined {
    const ts = this.ts;
    if (sf.fileName.endsWith(".json")) {
      const st = sf.statements[0];
      return st && ts.isExpressionStatement(st) ? st.expression : undefined;
    }
    for (const st of sf.statements) {
      if (ts.isExportAssignment(st) && !st.isExportEquals) return st.expression;
      if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st)) && st.modifiers?.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword)) return st;
    }
    return this.exported(sf, "default", 0)?.node;
  }

  /** The expression an export named `name` of `sf` is bound to. */
  private exported(sf: TS.SourceFile, name: string, depth: number): { node: TS.Node; sf: TS.SourceFile } | undefined {
    const ts = this.ts;
    if (depth > 20) return undefined;
    if (sf.fileName.endsWith(".json")) {
      const root = this.defaultExport(sf);
      if (!root) return undefined;
      if (name === "default") return { node: root, sf };
      if (ts.isObjectLiteralExpression(root)) {
        for (const p of root.properties) if (ts.isPropertyAssignment(p) && this.propName(p.name) === name) return { node: p.initializer, sf };
      }
      return undefined;
    }
    if (name === "default") {
      for (const st of sf.statements) if (ts.isExportAssignment(st) && !st.isExportEquals) return { node: st.expression, sf };
    }
    for (const st of sf.statements) {
      const exportedMod = (st as { modifiers?: TS.NodeArray<TS.ModifierLike> }).modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
      if (exportedMod && ts.isVariableStatement(st)) {
        for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name) && d.name.text === name && d.initializer) return { node: d.initializer, sf };
      }
      if (exportedMod && ts.isFunctionDeclaration(st) && st.name?.text === name) return { node: st, sf };
      if (ts.isExportDeclaration(st) && st.exportClause && ts.isNamedExports(st.exportClause)) {
        for (const el of st.exportClause.elements) {
          if (el.name.text !== name) continue;
          const local = (el.propertyName ?? el.name).text;
          if (st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier)) {
            const target = this.importTarget(sf, st.moduleSpecifier.text);
            return target ? this.exported(target, local, depth + 1) : undefined;
          }
          const decl = this.declaration(local, sf, depth + 1);
          return decl;
        }
      }
    }
    for (const st of sf.statements) {
      if (ts.isExportDeclaration(st) && !st.exportClause && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier)) {
        const target = this.importTarget(sf, st.moduleSpecifier.text);
        const r = target && this.exported(target, name, depth + 1);
        if (r) return r;
      }
    }
    return undefined;
  }

  private importTarget(from: TS.SourceFile, spec: string): TS.SourceFile | undefined {
    if (!spec.startsWith(".")) return undefined;
    const base = join(dirname(from.fileName), spec);
    const noJs = base.replace(/\.(m?js)$/, "");
    for (const c of [base, `${base}.ts`, `${base}.mts`, `${noJs}.ts`, `${noJs}.mts`, `${base}.js`, `${base}.mjs`, `${base}.json`, join(base, "index.ts"), join(base, "index.js")]) {
      if (!isFile(c)) continue;
      const rel = relative(this.root, normalize(c));
      if (rel.startsWith("..")) return undefined;
      return this.source(rel);
    }
    return undefined;
  }

  /** What a name in `sf` is bound to: a const/let/var initializer, a function, or an import. */
  private declaration(name: string, sf: TS.SourceFile, depth: number): { node: TS.Node; sf: TS.SourceFile } | undefined {
    const ts = this.ts;
    if (depth > 20) return undefined;
    for (const st of sf.statements) {
      if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier) && st.importClause) {
        const c = st.importClause;
        let imported: string | undefined;
        if (c.name?.text === name) imported = "default";
        if (c.namedBindings && ts.isNamedImports(c.namedBindings)) {
          for (const el of c.namedBindings.elements) if (el.name.text === name) imported = (el.propertyName ?? el.name).text;
        }
        if (imported !== undefined) {
          const target = this.importTarget(sf, st.moduleSpecifier.text);
          return target ? this.exported(target, imported, depth + 1) : undefined;
        }
      }
      if (ts.isVariableStatement(st)) {
        for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name) && d.name.text === name && d.initializer) return { node: d.initializer, sf };
      }
      if (ts.isFunctionDeclaration(st) && st.name?.text === name) return { node: st, sf };
    }
    // Not at the top level: the first declaration of that name anywhere in the file.
    let found: { node: TS.Node; sf: TS.SourceFile } | undefined;
    const visit = (n: TS.Node): void => {
      if (found) return;
      if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.name.text === name && n.initializer) found = { node: n.initializer, sf };
      else ts.forEachChild(n, visit);
    };
    visit(sf);
    return found;
  }

  private propName(n: TS.PropertyName): string | undefined {
    const ts = this.ts;
    if (ts.isIdentifier(n) || ts.isStringLiteral(n) || ts.isNumericLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n) || ts.isPrivateIdentifier(n)) return n.text;
    if (ts.isComputedPropertyName(n) && (ts.isStringLiteral(n.expression) || ts.isNumericLiteral(n.expression))) return n.expression.text;
    return undefined;
  }

  private unwrap(n: TS.Node): TS.Node {
    const ts = this.ts;
    for (;;) {
      if (ts.isParenthesizedExpression(n) || ts.isAsExpression(n) || ts.isSatisfiesExpression(n) || ts.isNonNullExpression(n) || ts.isTypeAssertionExpression(n) || ts.isAwaitExpression(n)) n = n.expression;
      else return n;
    }
  }

  /** Expressions a function returns (not those of nested functions). */
  private returns(fn: TS.SignatureDeclaration): TS.Node[] {
    const ts = this.ts;
    if (ts.isArrowFunction(fn) && !ts.isBlock(fn.body)) return [fn.body];
    const body = (fn as { body?: TS.Node }).body;
    const out: TS.Node[] = [];
    const visit = (n: TS.Node): void => {
      if (ts.isFunctionLike(n)) return;
      if (ts.isReturnStatement(n) && n.expression) out.push(n.expression);
      ts.forEachChild(n, visit);
    };
    if (body) ts.forEachChild(body, visit);
    return out;
  }

  private best(a: Hit, b: Hit): Hit {
    return b.rest.length < a.rest.length ? b : a;
  }

  private resolve(node0: TS.Node, sf: TS.SourceFile, segs: string[], depth: number): Hit {
    const ts = this.ts;
    const here: Hit = { node: node0, sf, rest: segs };
    if (depth > 60) return here;
    const node = this.unwrap(node0);
    const atNode: Hit = { node, sf, rest: segs };
    if (ts.isCallExpression(node)) {
      const callee = this.unwrap(node.expression);
      let best = atNode;
      if (ts.isFunctionExpression(callee) || ts.isArrowFunction(callee)) {
        for (const r of this.returns(callee)) best = this.best(best, this.resolve(r, sf, segs, depth + 1));
        return best;
      }
      if (ts.isIdentifier(callee)) {
        const decl = this.declaration(callee.text, sf, 0);
        if (decl && (ts.isFunctionDeclaration(decl.node) || ts.isArrowFunction(decl.node) || ts.isFunctionExpression(decl.node))) {
          for (const r of this.returns(decl.node)) best = this.best(best, this.resolve(r, decl.sf, segs, depth + 1));
          return best;
        }
      }
      // A schema constructor (or any wrapper) around the value: follow its first argument.
      const arg = node.arguments[0];
      if (arg && this.isConstructorCall(node, sf)) return this.resolve(arg, sf, segs, depth + 1);
      return atNode;
    }
    if (ts.isIdentifier(node)) {
      const decl = this.declaration(node.text, sf, 0);
      if (!decl || decl.node === node0) return atNode;
      const r = this.resolve(decl.node, decl.sf, segs, depth + 1);
      // When nothing inside the binding matches, the identifier's use is the better place.
      return r.rest.length < segs.length || segs.length === 0 ? r : atNode;
    }
    if (ts.isPropertyAccessExpression(node) || (ts.isElementAccessExpression(node) && (ts.isStringLiteral(node.argumentExpression) || ts.isNumericLiteral(node.argumentExpression)))) {
      const key = ts.isPropertyAccessExpression(node) ? node.name.text : (node.argumentExpression as TS.StringLiteral).text;
      const r = this.resolve(node.expression, sf, [key, ...segs], depth + 1);
      return r.rest.length <= segs.length ? r : atNode;
    }
    if (segs.length === 0) return atNode;
    const [key, ...rest] = segs as [string, ...string[]];
    if (ts.isObjectLiteralExpression(node)) {
      const props = node.properties;
      for (let i = props.length - 1; i >= 0; i--) {
        const p = props[i] as TS.ObjectLiteralElementLike;
        if (ts.isSpreadAssignment(p)) {
          const r = this.resolve(p.expression, sf, segs, depth + 1);
          if (r.rest.length < segs.length) return r;
          continue;
        }
        if (ts.isShorthandPropertyAssignment(p)) {
          if (p.name.text !== key) continue;
          const r = this.resolve(p.name, sf, rest, depth + 1);
          return r.node === this.unwrap(p.name) ? { node: p, sf, rest } : r;
        }
        if (!p.name || this.propName(p.name) !== key) continue;
        if (ts.isPropertyAssignment(p)) return this.resolve(p.initializer, sf, rest, depth + 1);
        return { node: p, sf, rest };
      }
      return atNode;
    }
    if (ts.isArrayLiteralExpression(node) && /^\d+$/.test(key)) {
      const idx = Number(key);
      for (let i = 0; i < node.elements.length && i <= idx; i++) if (ts.isSpreadElement(node.elements[i] as TS.Node)) return atNode;
      const el = node.elements[idx];
      return el ? this.resolve(el, sf, rest, depth + 1) : atNode;
    }
    return atNode;
  }

  private isConstructorCall(call: TS.CallExpression, sf: TS.SourceFile): boolean {
    const ts = this.ts;
    const callee = this.unwrap(call.expression);
    if (!ts.isIdentifier(callee)) return false;
    for (const st of sf.statements) {
      if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier) && st.moduleSpecifier.text === "bale:schemas") {
        const nb = st.importClause?.namedBindings;
        if (nb && ts.isNamedImports(nb) && nb.elements.some((e) => e.name.text === callee.text)) return true;
      }
    }
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
