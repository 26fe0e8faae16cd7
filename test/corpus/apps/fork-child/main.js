// fork(path.join(__dirname, "child.js")): a second script found by path at run time.
const { fork } = require("node:child_process");
const path = require("node:path");

const child = fork(path.join(__dirname, "child.js"), ["a", "b"]);
child.on("message", (m) => console.log("child:", JSON.stringify(m)));
child.on("exit", (code) => {
  console.log("child exit", code);
  process.exitCode = code === 3 ? 0 : 1;
});
