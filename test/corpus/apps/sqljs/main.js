// sql.js: Emscripten output that reads sql-wasm.wasm beside its own file.
const initSqlJs = require("sql.js");

initSqlJs().then((SQL) => {
  const db = new SQL.Database();
  db.run("CREATE TABLE t (k TEXT, v REAL); INSERT INTO t VALUES ('pi', 3.14159), ('e', 2.71828);");
  const res = db.exec("SELECT k, round(v, 2) FROM t ORDER BY v");
  console.log(JSON.stringify(res[0].values));
  console.log("sqlite", db.exec("select sqlite_version()")[0].values[0][0]);
  db.close();
});
