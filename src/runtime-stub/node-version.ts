/**
 * A deliberately small semver range check for the `node` field of the index:
 * comparators (>=, >, <=, <, =, ^, ~ or bare versions) joined by spaces (AND)
 * and `||` (OR). Enough for engine ranges like ">=20", "^20.10 || >=22".
 */
type V = [number, number, number];

function parse(v: string): { v: V; parts: number } | null {
  const m = /^v?(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?/.exec(v.trim());
  if (!m) return null;
  const nums = [m[1], m[2], m[3]].filter((x) => x !== undefined && x !== "x" && x !== "*").map(Number);
  return { v: [nums[0] ?? 0, nums[1] ?? 0, nums[2] ?? 0], parts: nums.length };
}

function cmp(a: V, b: V): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

function comparator(version: V, c: string): boolean {
  const m = /^(>=|<=|>|<|=|\^|~)?\s*(.+)$/.exec(c);
  if (!m) return false;
  const op = m[1] ?? "=";
  const p = parse(m[2] as string);
  if (!p) return false;
  const r = cmp(version, p.v);
  switch (op) {
    case ">=":
      return r >= 0;
    case ">":
      return r > 0;
    case "<=":
      return r <= 0;
    case "<":
      return r < 0;
    case "^":
      return r >= 0 && version[0] === p.v[0] && (p.v[0] !== 0 || version[1] === p.v[1]);
    case "~":
      return r >= 0 && version[0] === p.v[0] && (p.parts < 2 || version[1] === p.v[1]);
    default:
      // A bare or "=" version with fewer parts matches that prefix ("20" matches 20.x.y).
      return version[0] === p.v[0] && (p.parts < 2 || version[1] === p.v[1]) && (p.parts < 3 || version[2] === p.v[2]);
  }
}

export function satisfies(version: string, range: string): boolean {
  const v = parse(version);
  if (!v) return false;
  return range.split("||").some((alt) => {
    const cs = alt.trim().replace(/(>=|<=|>|<|=|\^|~)\s+/g, "$1").split(/\s+/).filter(Boolean);
    return cs.length === 0 || cs.every((c) => c === "*" || comparator(v.v, c));
  });
}
