/**
 * JSON Pointers (RFC 6901) and their URI-fragment form, in one place. A pointer is a string of
 * `/`-prefixed reference tokens with `~` written `~0` and `/` written `~1`; a `$ref` fragment
 * (`#/...`) is the same pointer percent-encoded as a URI fragment (RFC 6901 section 6). Code that
 * builds pointers from property names uses escapeToken/formatPointer and never percent-decodes.
 */

export function escapeToken(token: string): string {
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}

export function unescapeToken(token: string): string {
  return token.replace(/~1/g, "/").replace(/~0/g, "~");
}

/** The tokens of a pointer ("" is the whole document: no tokens). */
export function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer.slice(1).split("/").map(unescapeToken);
}

export function formatPointer(tokens: readonly (string | number)[]): string {
  return tokens.map((t) => "/" + escapeToken(String(t))).join("");
}

/** The pointer a `$ref` fragment (the part after `#`) means, or undefined when its percent-encoding is malformed. */
export function fragmentToPointer(fragment: string): string | undefined {
  try {
    return decodeURIComponent(fragment);
  } catch {
    return undefined;
  }
}

/**
 * The value `pointer` names inside `doc`, or undefined when nothing is there. Only own members
 * count: an object's key (so "/constructor" of `{}` is nothing) or an array's index as written
 * in canonical decimal ("/01" and "/-" name nothing).
 */
export function getPointer(doc: unknown, pointer: string | readonly string[]): unknown {
  let cur = doc;
  for (const token of typeof pointer === "string" ? parsePointer(pointer) : pointer) {
    if (Array.isArray(cur)) {
      if (!/^(?:0|[1-9][0-9]*)$/.test(token)) return undefined;
      cur = cur[Number(token)];
    } else if (cur !== null && typeof cur === "object" && Object.hasOwn(cur, token)) {
      cur = (cur as Record<string, unknown>)[token];
    } else return undefined;
  }
  return cur;
}

/** `base` (a pointer) with one more token. */
export function appendPointer(base: string, token: string | number): string {
  return `${base}/${escapeToken(String(token))}`;
}
