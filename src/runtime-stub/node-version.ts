/**
 * A deliberately small semver range check for the `node` field of the index:
 * comparators (>=, >, <=, <, =, ^, ~ or bare versions) joined by spaces (AND)
 * and `||` (OR). Enough for engine ranges like ">=20", "^20.10 || >=22".
 *
 * One parse (`parseRange`) feeds both checks that use it: `satisfies` (the packer and the embedded
 * extractor) and `rangeToSh` (the sh prelude's cold path), so they cannot disagree.
 */
type V = [number, number, number];

type Op = ">=" | ">" | "<=" | "<" | "=" | "^" | "~";
/** One comparator: `never` for one that cannot parse (it matches nothing, as before). */
export type Comparator = { op: Op; v: V; parts: number } | "never";
/** OR of ANDs; an empty AND (an empty alternative, or `*`) matches every version. */
export type Range = Comparator[][];

function parse(v: string): { v: V; parts: number } | null {
  const m = /^v?(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?/.exec(v.trim());
  if (!m) return null;
  const nums = [m[1], m[2], m[3]].filter((x) => x !== undefined && x !== "x" && x !== "*").map(Number);
  return { v: [nums[0] ?? 0, nums[1] ?? 0, nums[2] ?? 0], parts: nums.length };
}

function cmp(a: V, b: V): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

function parseComparator(c: string): Comparator {
  const m = /^(>=|<=|>|<|=|\^|~)?\s*(.+)$/.exec(c);
  if (!m) return "never";
  const p = parse(m[2] as string);
  if (!p) return "never";
  return { op: (m[1] ?? "=") as Op, v: p.v, parts: p.parts };
}

export function parseRange(range: string): Range {
  return range.split("||").map((alt) =>
    alt
      .trim()
      .replace(/(>=|<=|>|<|=|\^|~)\s+/g, "$1")
      .split(/\s+/)
      .filter((c) => c !== "" && c !== "*")
      .map(parseComparator),
  );
}

function matches(version: V, c: Comparator): boolean {
  if (c === "never") return false;
  const r = cmp(version, c.v);
  switch (c.op) {
    case ">=":
      return r >= 0;
    case ">":
      return r > 0;
    case "<=":
      return r <= 0;
    case "<":
      return r < 0;
    case "^":
      return r >= 0 && version[0] === c.v[0] && (c.v[0] !== 0 || version[1] === c.v[1]);
    case "~":
      return r >= 0 && version[0] === c.v[0] && (c.parts < 2 || version[1] === c.v[1]);
    default:
      // A bare or "=" version with fewer parts matches that prefix ("20" matches 20.x.y).
      return version[0] === c.v[0] && (c.parts < 2 || version[1] === c.v[1]) && (c.parts < 3 || version[2] === c.v[2]);
  }
}

export function satisfies(version: string, range: string): boolean {
  const v = parse(version);
  if (!v) return false;
  return parseRange(range).some((alt) => alt.every((c) => matches(v.v, c)));
}

/** Versions are compared in sh as one integer, major * 10^6 + minor * 10^3 + patch (each part below 1000). */
const key = (v: V): number => v[0] * 1_000_000 + v[1] * 1_000 + v[2];

/**
 * The range as a sh condition (a list for `if`) over `$K` (the version's key, see `key`), `$M` and `$m`
 * (its major and minor): true exactly where `satisfies` is, for plain x.y.z versions with parts below
 * 1000 (the prelude checks that before, and leaves any other version to the extractor).
 */
export function rangeToSh(range: string): string {
  const test = (a: string, op: string, b: number): string => `[ "${a}" -${op} ${b} ]`;
  const one = (c: Comparator): string => {
    if (c === "never") return "false";
    const k = key(c.v);
    const [major, minor] = c.v;
    switch (c.op) {
      case ">=":
        return test("$K", "ge", k);
      case ">":
        return test("$K", "gt", k);
      case "<=":
        return test("$K", "le", k);
      case "<":
        return test("$K", "lt", k);
      case "^":
        return [test("$K", "ge", k), test("$M", "eq", major), ...(major === 0 ? [test("$m", "eq", minor)] : [])].join(" && ");
      case "~":
        return [test("$K", "ge", k), test("$M", "eq", major), ...(c.parts >= 2 ? [test("$m", "eq", minor)] : [])].join(" && ");
      default:
        return [
          test("$M", "eq", major),
          ...(c.parts >= 2 ? [test("$m", "eq", minor)] : []),
          ...(c.parts >= 3 ? [test("$K", "eq", k)] : []),
        ].join(" && ");
    }
  };
  const alts = parseRange(range).map((alt) => (alt.length === 0 ? "true" : alt.map(one).join(" && ")));
  return alts.map((a) => `{ ${a}; }`).join(" || ");
}
