// piscina: a worker pool whose worker file is given by path; the worker requires a helper.
const path = require("node:path");
const { Piscina } = require("piscina");

const pool = new Piscina({ filename: path.join(__dirname, "worker.js"), maxThreads: 2, minThreads: 1 });
(async () => {
  const results = await Promise.all([1, 2, 3, 4].map((n) => pool.run({ n })));
  console.log(results.join(" "));
  await pool.destroy();
})();
