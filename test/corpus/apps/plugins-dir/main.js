// Plugins loaded by name: require(path.join(__dirname, "plugins", name)).
const path = require("node:path");
const fs = require("node:fs");

const available = fs.readdirSync(path.join(__dirname, "plugins")).filter((f) => f.endsWith(".js")).sort();
console.log("available:", available.join(" "));
let text = "Hello plugins";
for (const name of process.argv.slice(2)) {
  const plugin = require(path.join(__dirname, "plugins", name));
  text = plugin.apply(text);
  console.log(`${plugin.name}: ${text}`);
}
