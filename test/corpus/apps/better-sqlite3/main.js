// better-sqlite3: a native addon found through `bindings`-style lookup of build/Release.
const Database = require("better-sqlite3");

const db = new Database(":memory:");
db.exec("CREATE TABLE fruit (name TEXT, qty INTEGER)");
const ins = db.prepare("INSERT INTO fruit VALUES (?, ?)");
for (const [n, q] of [["apple", 3], ["pear", 5], ["fig", 8]]) ins.run(n, q);
for (const row of db.prepare("SELECT name, qty FROM fruit ORDER BY qty DESC").all()) console.log(`${row.name}=${row.qty}`);
console.log("sum", db.prepare("SELECT sum(qty) AS s FROM fruit").get().s);
console.log("sqlite", db.prepare("SELECT sqlite_version() AS v").get().v);
db.close();
