// @babel/core with presets given by name (resolved at run time from the app's directory).
const babel = require("@babel/core");

const src = "const f = async (x: number) => x ?? 1;\nclass A { #p = 1; get p() { return this.#p; } }\nexport default f;\n";
const out = babel.transformSync(src, {
  cwd: __dirname,
  babelrc: false,
  configFile: false,
  filename: "input.ts",
  presets: [["@babel/preset-env", { targets: { ie: "11" }, modules: "commonjs" }], "@babel/preset-typescript"],
});
console.log(out.code.split("\n").length > 5 ? "compiled lines > 5" : "too short");
console.log(out.code.includes("regeneratorRuntime") || out.code.includes("_asyncToGenerator") ? "async lowered" : "async kept");
console.log(out.code.includes("#p") ? "private kept" : "private lowered");
console.log("babel", babel.version);
