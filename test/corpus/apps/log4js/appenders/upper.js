// A custom log4js appender: log4js requires this module by the path given as its "type".
exports.configure = () => (event) => process.stdout.write(`UPPER ${event.data.join(" ").toUpperCase()}\n`);
