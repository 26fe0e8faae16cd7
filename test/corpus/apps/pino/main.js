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
    { target: "pino/file", level: "warn", options: { destination: file, mkdir: true, sync: true } },
  ],
});
const log = pino({ base: null, timestamp: false }, transport);
log.info({ user: "ada" }, "hello");
log.warn("careful");
log.error({ code: 42 }, "broken");
// The worker writes each line to its targets in order (pretty first, both sync), so once the file
// holds the last line, stdout holds everything before it: print the file then (polled, bounded).
transport.end();
const deadline = Date.now() + 10_000;
(function poll() {
  const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  if (!text.includes('"broken"') && Date.now() < deadline) return void setTimeout(poll, 20);
  const lines = text.trim().split("\n");
  console.log("file lines:", lines.length);
  for (const l of lines) console.log("file:", l);
  fs.rmSync(dir, { recursive: true, force: true });
})();
