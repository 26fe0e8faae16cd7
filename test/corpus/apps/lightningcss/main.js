// lightningcss: picks its native binary with require(`lightningcss-${platform}`) at run time.
const { transform, browserslistToTargets } = require("lightningcss");

const { code, warnings } = transform({
  filename: "style.css",
  code: Buffer.from(".a { color: #ff0000; user-select: none; } .b { margin: 0px 0px 0px 0px; } .c { color: lab(50% 40 59.5) }"),
  minify: true,
  targets: { chrome: 80 << 16, safari: 13 << 16 },
});
console.log(code.toString());
console.log("warnings", warnings.length, typeof browserslistToTargets);
