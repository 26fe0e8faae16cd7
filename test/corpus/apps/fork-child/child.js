const { shout } = require("./lib/shout");

process.send({ args: process.argv.slice(2), shout: shout("from child") });
process.exitCode = 3;
