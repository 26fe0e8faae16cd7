// nunjucks: templates found through a FileSystemLoader at run time, with extends and include.
const path = require("node:path");
const nunjucks = require("nunjucks");

const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(path.join(__dirname, "templates")), { autoescape: true });
console.log(env.render("page.njk", { name: "<bale>", items: [1, 2, 3] }).trim());
