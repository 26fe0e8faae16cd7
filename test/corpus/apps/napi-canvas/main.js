// @napi-rs/canvas: a prebuilt napi addon chosen by platform package at run time.
const { createCanvas } = require("@napi-rs/canvas");
const { createHash } = require("node:crypto");

const c = createCanvas(32, 16);
const ctx = c.getContext("2d");
ctx.fillStyle = "#ff0000";
ctx.fillRect(0, 0, 16, 16);
ctx.fillStyle = "#0000ff";
ctx.fillRect(16, 0, 16, 16);
const img = ctx.getImageData(0, 0, 32, 16);
console.log("pixel(1,1)", [...img.data.subarray(4 * 17, 4 * 17 + 4)].join(","));
console.log("pixel(20,1)", [...img.data.subarray(4 * 52, 4 * 52 + 4)].join(","));
console.log("sha256", createHash("sha256").update(img.data).digest("hex").slice(0, 16));
