// pino with transports: targets by package name (pino-pretty) and pino/file, run in a worker thread.
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const pino = require("pino");

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "corpus-pino-"));
const file = path.join(dir, "app.log");
const transport = pino.transport({
  targets: [
    { target: "pino-pretty", level: "info", options: { destination: 1, colorize: false, translateTime: false, ignore: "pid,hostname,time", sync: true } },
    { target: "pino/file", level: "warn", options: { destination: file, mkdir: true } },
  ],
});
const log = pino({ base: null, timestamp: false }, transport);
log.info({ user: "ada" }, "hello");
log.warn("careful");
log.error({ code: 42 }, "broken");
transport.on("close", () => {
  const lines = fs.readFileSync(file, "utf8").trim().split("\n");
  console.log("file lines:", lines.length);
  for (const l of lines) console.log("file:", l);
  fs.rmSync(dir, { recursive: true, force: true });
});
transport.end();
