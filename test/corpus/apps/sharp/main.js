// sharp: native addon + libvips shared library from platform packages.
const sharp = require("sharp");

async function main() {
  const w = 8, h = 4;
  const raw = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) raw.set([i * 7 % 256, i * 13 % 256, i * 29 % 256], i * 3);
  const png = await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).resize(16, 8, { kernel: "nearest" }).png().toBuffer();
  const meta = await sharp(png).metadata();
  console.log(`${meta.format} ${meta.width}x${meta.height} channels=${meta.channels}`);
  const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  console.log("pixels", data.length, "first", [...data.subarray(0, 6)].join(","));
  console.log("vips", sharp.versions.vips);
}
main();
