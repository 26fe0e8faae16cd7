// esbuild used as a library: its JS API spawns the platform binary it finds at run time.
const esbuild = require("esbuild");

const ts = "export const add = (a: number, b: number): number => a + b;\nconsole.log(add(2, 3));\n";
const t = esbuild.transformSync(ts, { loader: "ts", format: "cjs" });
console.log("transform:\n" + t.code.trim());
// ./x resolves to x.js beside this file.
const b = esbuild.buildSync({
  stdin: { contents: 'import { x } from "./x"; console.log(x * 2);', resolveDir: __dirname, loader: "js" },
  bundle: true,
  write: false,
  format: "esm",
  minify: true,
  logLevel: "silent",
});
console.log("bundle: " + b.outputFiles[0].text.trim());
console.log("version " + esbuild.version);
