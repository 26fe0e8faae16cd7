// cowsay: reads cows/<name>.cow files by name at run time.
const cowsay = require("cowsay");

console.log(cowsay.say({ text: "moo from an archive" }));
console.log(cowsay.think({ text: "penguin", f: "tux" }));
