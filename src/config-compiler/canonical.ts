/**
 * Canonical JSON: RFC 8785 (JCS) member order and number/string forms, printed with a
 * 2-space indent and a final newline so that outputs diff well and hash stably.
 *
 * - Object members are sorted by the UTF-16 code units of their names (RFC 8785 §3.2.3),
 *   which is what the default `Array.prototype.sort` comparison does for strings.
 *   JS objects iterate integer-like keys first, so we sort explicitly instead of relying
 *   on insertion order.
 * - Numbers use the ECMAScript shortest round-trip form (RFC 8785 §3.2.2.3); `JSON.stringify`
 *   produces exactly that for finite numbers, and -0 becomes 0.
 * - Strings use the ECMAScript JSON string serialization (RFC 8785 §3.2.2.2), lone
 *   surrogates escaped as \uXXXX.
 *
 * The input must already be plain JSON (see `plain.ts`); this function does not re-check.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

export function canonicalJson(value: unknown): string {
  const parts: string[] = [];
  write(value, "", parts);
  parts.push("\n");
  return parts.join("");
}

function write(v: unknown, indent: string, parts: string[]): void {
  if (v === null || typeof v !== "object") {
    if (typeof v === "number" && !Number.isFinite(v)) throw new TypeError(`not a JSON number: ${String(v)}`);
    parts.push(JSON.stringify(v));
    return;
  }
  const inner = indent + "  ";
  if (Array.isArray(v)) {
    if (v.length === 0) {
      parts.push("[]");
      return;
    }
    parts.push("[\n");
    for (let i = 0; i < v.length; i++) {
      parts.push(inner);
      write(v[i], inner, parts);
      parts.push(i === v.length - 1 ? "\n" : ",\n");
    }
    parts.push(indent, "]");
    return;
  }
  const keys = Object.keys(v).sort();
  if (keys.length === 0) {
    parts.push("{}");
    return;
  }
  parts.push("{\n");
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    parts.push(inner, JSON.stringify(k), ": ");
    write((v as Record<string, unknown>)[k], inner, parts);
    parts.push(i === keys.length - 1 ? "\n" : ",\n");
  }
  parts.push(indent, "}");
}
