// bale example: a small TypeScript CLI. It prints its arguments, a data file
// that sits beside it (bale finds it by tracing the readFileSync call), and
// echoes stdin when asked. `--exit N` exits with N; `--wait` waits for a signal.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { greet } from "./lib/greet";

const args = process.argv.slice(2);
const greeting = readFileSync(join(__dirname, "data/greeting.txt"), "utf8").trim();
console.log(greet(greeting, args));
console.log(JSON.stringify(args));

if (args[0] === "--stdin") {
  let input = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (c) => (input += c));
  process.stdin.on("end", () => console.log(`stdin: ${input.length} bytes, ${input.split("\n").length - 1} lines`));
} else if (args[0] === "--exit") {
  process.exit(Number(args[1]));
} else if (args[0] === "--wait") {
  console.log("waiting");
  setInterval(() => {}, 1000);
} else if (args[0] === "--throw") {
  throw new Error("thrown on purpose");
}
