module.exports = { name: "unused", apply: (s) => s };
