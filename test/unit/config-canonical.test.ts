import { test } from "node:test";
import assert from "node:assert/strict";
import { canonicalJson } from "../../src/config-compiler/canonical.js";

test("canonical JSON sorts keys by UTF-16 code units (RFC 8785 §3.2.3), not insertion or integer order", () => {
  // The RFC's own ordering example, plus integer-like keys that JS objects would iterate first.
  const value = { "\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control", "\u00f6": "Latin Small Letter O With Diaeresis", "10": "ten", "9": "nine" };
  const keys = Object.keys(JSON.parse(canonicalJson(value)) as object);
  void keys; // JSON.parse re-orders integer keys; check the text instead.
  const order = [...canonicalJson(value).matchAll(/^ {2}"((?:[^"\\]|\\.)*)":/gm)].map((m) => JSON.parse(`"${m[1]}"`) as string);
  assert.deepEqual(order, ["\r", "1", "10", "9", "\u0080", "\u00f6", "\u20ac", "\ud83d\ude00", "\ufb33"]);
});

test("canonical JSON: number forms, -0, escapes, indentation, final newline", () => {
  const text = canonicalJson({ n: [0, -0, 1e21, 1e-7, 0.1 + 0.2, 333333333.3333333, 2 ** 53, -1.5], s: "a\"\\\n\u0001\u2028é", e: {}, a: [], z: null, t: true });
  assert.equal(
    text,
    [
      "{",
      '  "a": [],',
      '  "e": {},',
      '  "n": [',
      "    0,",
      "    0,",
      "    1e+21,",
      "    1e-7,",
      "    0.30000000000000004,",
      "    333333333.3333333,",
      "    9007199254740992,",
      "    -1.5",
      "  ],",
      '  "s": "a\\"\\\\\\n\\u0001\u2028é",',
      '  "t": true,',
      '  "z": null',
      "}",
      "",
    ].join("\n"),
  );
});

test("canonical JSON is stable whatever the insertion order", () => {
  const a = canonicalJson({ b: { y: 1, x: [{ q: 1, p: 2 }] }, a: 1 });
  const b = canonicalJson({ a: 1, b: { x: [{ p: 2, q: 1 }], y: 1 } });
  assert.equal(a, b);
  assert.throws(() => canonicalJson({ x: NaN }), /not a JSON number/);
});
