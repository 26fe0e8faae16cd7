/** Identifier conventions and reserved words for the languages bindings are generated in. */

/** Splits an identifier-ish string into words: "maxNameLength" -> [max, name, length], "HTTPServer2" -> [http, server2]. */
export function words(s: string): string[] {
  const spaced = s
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .replace(/[^A-Za-z0-9]+/g, " ")
    .trim();
  return spaced === "" ? [] : spaced.split(" ").map((w) => w.toLowerCase());
}

export function pascalCase(s: string): string {
  const ws = words(s);
  if (ws.length === 0) return "X";
  return ws.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join("");
}

export function camelCase(s: string): string {
  const p = pascalCase(s);
  return p.charAt(0).toLowerCase() + p.slice(1);
}

export function snakeCase(s: string): string {
  const ws = words(s);
  return ws.length === 0 ? "x" : ws.join("_");
}

/** A valid identifier made from `s`: invalid characters become "_", a leading digit gets a prefix. */
export function sanitize(s: string, prefix = "_"): string {
  let r = s.replace(/[^A-Za-z0-9_]/g, "_");
  if (r === "") r = prefix;
  if (/^[0-9]/.test(r)) r = prefix + r;
  return r;
}

export const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
export const PY_IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** ECMAScript reserved words, strict-mode reserved words, and TypeScript's predefined type names. */
export const TS_RESERVED = new Set([
  "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do", "else", "enum",
  "export", "extends", "false", "finally", "for", "function", "if", "import", "in", "instanceof", "new", "null",
  "return", "super", "switch", "this", "throw", "true", "try", "typeof", "var", "void", "while", "with", "yield",
  "let", "static", "implements", "interface", "package", "private", "protected", "public", "await", "arguments",
  "eval", "as", "async", "constructor", "declare", "from", "get", "is", "keyof", "module", "namespace", "never",
  "readonly", "require", "set", "type", "unique", "infer", "satisfies",
  "any", "unknown", "string", "number", "boolean", "bigint", "symbol", "object", "undefined", "Object", "Array",
  "String", "Number", "Boolean", "Promise", "Record", "Error", "JSON", "Function", "Symbol", "Date", "Map", "Set",
]);

/** Python keywords, soft keywords and the builtins generated code refers to. */
export const PY_RESERVED = new Set([
  "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
  "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
  "not", "or", "pass", "raise", "return", "try", "while", "with", "yield", "match", "case", "type", "_",
  "str", "int", "float", "bool", "list", "dict", "object", "tuple", "set", "bytes", "len", "isinstance", "super",
  "self", "cls", "json", "re", "typing", "dataclasses", "urllib", "http", "math", "path", "data", "value",
  "from_dict", "to_dict", "request", "field",
]);

/** Appends "_" until `name` is neither reserved nor taken. */
export function escape(name: string, reserved: ReadonlySet<string>, taken?: ReadonlySet<string>): string {
  let n = name;
  while (reserved.has(n) || taken?.has(n)) n += "_";
  return n;
}

/** A JavaScript string literal (double-quoted, JSON escaping, which is valid JS). */
export function jsString(s: string): string {
  return JSON.stringify(s).replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** A Python string literal (double-quoted; non-ASCII kept as is, sources are UTF-8). */
export function pyString(s: string): string {
  let r = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === "\\") r += "\\\\";
    else if (ch === '"') r += '\\"';
    else if (ch === "\n") r += "\\n";
    else if (ch === "\r") r += "\\r";
    else if (ch === "\t") r += "\\t";
    else if (c < 0x20 || c === 0x7f || (c >= 0xd800 && c <= 0xdfff) || c === 0x2028 || c === 0x2029) r += "\\u" + c.toString(16).padStart(4, "0");
    else r += ch;
  }
  return r + '"';
}

/** A TypeScript property key: bare when it is an identifier, quoted otherwise. */
export function tsKey(name: string): string {
  return IDENT.test(name) ? name : jsString(name);
}

/** Text safe inside a block comment. */
export function commentText(s: string): string {
  return s.replace(/\*\//g, "*\\/").replace(/\r\n?/g, "\n");
}

/**
 * The body of a Python triple-quoted docstring that reads back as `s` (line ends normalized):
 * backslashes doubled, control characters and lone surrogates escaped, and a `"` escaped when
 * the next character is another `"` or the end of the text (so no `"""` closes it early and a
 * trailing quote does not merge with the closing one).
 */
export function pyDocText(s: string): string {
  const t = s.replace(/\r\n?/g, "\n");
  let r = "";
  for (let i = 0; i < t.length; i++) {
    const ch = t.charAt(i);
    const c = t.charCodeAt(i);
    if (ch === "\\") r += "\\\\";
    else if (ch === '"') r += i + 1 === t.length || t.charAt(i + 1) === '"' ? '\\"' : '"';
    else if (ch === "\n") r += "\n";
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < t.length && (t.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      r += ch + t.charAt(i + 1);
      i++;
    } else if (c < 0x20 || c === 0x7f || (c >= 0xd800 && c <= 0xdfff) || c === 0x2028 || c === 0x2029 || c === 0x85) {
      r += "\\u" + c.toString(16).padStart(4, "0");
    } else r += ch;
  }
  return r;
}

/**
 * A JavaScript regular expression source as a Python `re` source with the same meaning for `$`:
 * JavaScript's `$` (no m flag) matches only at the end of the input, Python's also before a final
 * newline, so every `$` outside a character class becomes `\\Z`.
 */
export function pyRegexSource(src: string): string {
  let r = "";
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const ch = src.charAt(i);
    if (ch === "\\") {
      r += ch + src.charAt(i + 1);
      i++;
    } else if (inClass) {
      if (ch === "]") inClass = false;
      r += ch;
    } else if (ch === "[") {
      inClass = true;
      r += ch;
      if (src.charAt(i + 1) === "^") {
        r += "^";
        i++;
      }
      if (src.charAt(i + 1) === "]") {
        r += "]";
        i++;
      }
    } else if (ch === "$") r += "\\Z";
    else r += ch;
  }
  return r;
}
