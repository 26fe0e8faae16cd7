// browserslist: regional usage data required by name (caniuse-lite/data/regions/<CC>.js) at run time.
process.env.BROWSERSLIST_IGNORE_OLD_DATA = "1";
const browserslist = require("browserslist");

console.log(browserslist("> 10% in DE, last 1 firefox version, not dead").length > 0);
console.log(browserslist("firefox 100, chrome 90").join(" "));
console.log(browserslist.coverage(browserslist("chrome 100"), "US") > 0);
const { region } = require("caniuse-lite");
console.log(typeof region);
