// esbuild-wasm: runs esbuild.wasm (found beside its own files) in a child node process.
const esbuild = require("esbuild-wasm");

(async () => {
  const r = await esbuild.transform("let x: number = 1 + 2; export { x }", { loader: "ts", format: "cjs", minify: true });
  console.log(r.code.trim());
  console.log("version", esbuild.version);
  await esbuild.stop?.();
})();
