module.exports = { name: "upper", apply: (s) => s.toUpperCase() };
