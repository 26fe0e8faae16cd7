// @resvg/resvg-wasm: the app finds the .wasm with require.resolve and reads it.
const fs = require("node:fs");
const { createHash } = require("node:crypto");
const { initWasm, Resvg } = require("@resvg/resvg-wasm");

(async () => {
  await initWasm(fs.readFileSync(require.resolve("@resvg/resvg-wasm/index_bg.wasm")));
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect x="5" y="5" width="30" height="10" fill="#08f"/><circle cx="20" cy="10" r="4" fill="red"/></svg>';
  const r = new Resvg(svg, { fitTo: { mode: "width", value: 80 } });
  const img = r.render();
  console.log(`${img.width}x${img.height}`);
  console.log("pixels sha256", createHash("sha256").update(img.pixels).digest("hex").slice(0, 16));
})();
