// The greeter server: loads its compiled config through the generated, validating loader
// and serves the generated Connect handler. Packed with `bale pack --config out/configs/prod`,
// it finds the prod config through BALE_CONFIG_DIR; run from source it uses
// out/configs/$GREETER_ENV (default dev). `--port N` overrides the config's port (0 = free port).
import { createServer } from "node:http";
import { join } from "node:path";
import { ConnectError, createGreeterHandler, loadGreeterConfig } from "../gen/ts/index.js";

const configDir = process.env.BALE_CONFIG_DIR ?? join(__dirname, "../out/configs", process.env.GREETER_ENV ?? "dev");
const config = loadGreeterConfig(join(configDir, "greeter.json"));
const portFlag = process.argv.indexOf("--port");
const port = portFlag >= 0 ? Number(process.argv[portFlag + 1]) : config.port;

const handler = createGreeterHandler(
  {
    async sayHello(req) {
      if (req.name.length > config.maxNameLength) {
        throw new ConnectError("invalid_argument", `name is longer than ${config.maxNameLength} characters`);
      }
      const language = req.language ?? "en";
      const greeting = config.languages[language];
      if (greeting === undefined) throw new ConnectError("not_found", `no greeting for "${language}" in ${config.env}`);
      const message = `${greeting}, ${req.name}!`;
      return { message: config.shout === true ? message.toUpperCase() : message, language };
    },
  },
  { onError: (e) => console.error("greeter: internal error:", e) },
);

const server = createServer(handler);
server.listen(port, config.host, () => {
  const addr = server.address();
  const actual = typeof addr === "object" && addr !== null ? addr.port : port;
  console.log(`greeter (${config.env}) listening on http://${config.host}:${actual}`);
});
for (const sig of ["SIGTERM", "SIGINT"] as const) {
  process.on(sig, () => server.close(() => process.exit(0)));
}
