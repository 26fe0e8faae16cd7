// figlet: reads fonts/<name>.flf from its own package directory at run time.
const figlet = require("figlet");

console.log(figlet.textSync("bale", { font: "Standard" }));
console.log(figlet.textSync("ok", { font: "Slant" }));
console.log("fonts >= 100:", figlet.fontsSync().length >= 100);
