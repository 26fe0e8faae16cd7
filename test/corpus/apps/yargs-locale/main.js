// yargs: its messages come from locales/<lang>.json read at run time (y18n).
const yargs = require("yargs/yargs");

const y = yargs(["--size", "3"])
  .scriptName("corpus")
  .locale("de")
  .option("size", { type: "number", describe: "how big" })
  .option("name", { type: "string", demandOption: false })
  .exitProcess(false)
  .help();
const argv = y.parseSync();
console.log("size", argv.size);
y.showHelp((s) => console.log(s));
yargs(["--nope"]).scriptName("corpus").locale("fr").strict().option("a", { type: "boolean" }).exitProcess(false).fail((msg) => console.log("fail:", msg)).parse();
