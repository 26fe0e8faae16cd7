// bench app 1: hello world. Prints a greeting and its arguments.
"use strict";
const args = process.argv.slice(2);
console.log(`Hello, world (${args.length} arguments)`);
console.log(JSON.stringify(args));
