const { rev } = require("../util");

module.exports = { name: "reverse", apply: rev };
