// eslint's Node API: config file found by path, loadFormatter("stylish") by name.
const path = require("node:path");
const { ESLint } = require("eslint");

(async () => {
  const eslint = new ESLint({ cwd: __dirname });
  const results = await eslint.lintFiles(["sample.js"]);
  const formatter = await eslint.loadFormatter("stylish");
  const text = await formatter.format(results);
  console.log(text.split(__dirname).join("<app>").trim());
  const errors = results.reduce((n, r) => n + r.errorCount, 0);
  console.log("errors", errors, "version", ESLint.version);
  process.exitCode = errors > 0 ? 1 : 0;
})();
