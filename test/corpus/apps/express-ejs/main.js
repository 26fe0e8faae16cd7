// express with a view engine by name: express requires "ejs" itself when rendering views/*.ejs.
const path = require("node:path");
const express = require("express");

const app = express();
app.set("views", path.join(__dirname, "views"));
app.set("view engine", "ejs");
app.render("index", { title: "Corpus", items: ["a", "b"] }, (err, html) => {
  if (err) {
    console.error(err);
    process.exitCode = 1;
    return;
  }
  console.log(html.trim());
});
