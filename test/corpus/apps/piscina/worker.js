const { fib } = require("./helper");

module.exports = ({ n }) => `fib(${n * 5})=${fib(n * 5)}`;
