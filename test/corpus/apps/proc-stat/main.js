// Reads /proc/<pid>/stat at run time (bale's own CLI does this).
const fs = require("node:fs");

const stat = fs.readFileSync(`/proc/${process.pid}/stat`, "utf8");
const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
console.log("pid matches", Number(stat.split(" ")[0]) === process.pid);
console.log("state is a letter", /^[A-Z]$/.test(fields[0]));
console.log("fields >= 40", fields.length + 2 >= 40);
const status = fs.readFileSync(`/proc/self/status`, "utf8");
console.log("status has Name", /^Name:/m.test(status));
