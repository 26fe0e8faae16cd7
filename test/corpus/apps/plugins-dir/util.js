exports.rev = (s) => [...s].reverse().join("");
