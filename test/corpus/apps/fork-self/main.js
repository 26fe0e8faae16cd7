// fork(__filename) with a guard: the same file is the parent and the child.
const { fork } = require("node:child_process");

if (process.argv[2] === "--child") {
  process.on("message", (m) => {
    process.send({ doubled: m.n * 2, pid: typeof process.pid });
    process.exit(0);
  });
} else {
  const child = fork(__filename, ["--child"]);
  child.on("message", (m) => console.log("child said", JSON.stringify(m)));
  child.on("exit", (code) => console.log("child exited", code));
  child.send({ n: 21 });
}
