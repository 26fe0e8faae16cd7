// uglify-js: tools/node.js reads its own lib/*.js files at load time and evaluates them.
const UglifyJS = require("uglify-js");

const r = UglifyJS.minify({ "a.js": "function add(first, second) { var total = first + second; return total; }\nconsole.log(add(1, 2));" }, { toplevel: true });
if (r.error) throw r.error;
console.log(r.code);
console.log("has default_options", typeof UglifyJS.default_options === "function");
