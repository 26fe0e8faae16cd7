// @swc/core: napi addon from a platform package (@swc/core-linux-x64-gnu) found at run time.
const swc = require("@swc/core");

const out = swc.transformSync("const f = (x: number): number => x ** 2;\nexport default f;\n", {
  jsc: { parser: { syntax: "typescript" }, target: "es5" },
  module: { type: "commonjs" },
  sourceMaps: false,
});
console.log(out.code.trim());
