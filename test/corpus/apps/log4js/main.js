// log4js: appenders and layouts by name, and a custom appender module found by path at run time.
const path = require("node:path");
const log4js = require("log4js");

log4js.configure({
  appenders: {
    out: { type: "stdout", layout: { type: "pattern", pattern: "[%p] %c - %m" } },
    custom: { type: path.join(__dirname, "appenders", "upper") },
  },
  categories: { default: { appenders: ["out", "custom"], level: "info" } },
});
const log = log4js.getLogger("corpus");
log.info("starting");
log.debug("hidden");
log.warn("watch out");
log4js.shutdown(() => console.log("shutdown"));
