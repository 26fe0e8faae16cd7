// The fleet variant of the greeter server: instead of reading its config once at start, it follows the
// config published to etcd (`bale config publish`) through the generated live loader, and every valid
// publish changes how it answers while it runs. An invalid update is refused and the last good config
// stays; if etcd is unreachable at start it runs on the last good config saved locally (and says so).
//
//   BALE_ETCD=http://127.0.0.1:2379 node --import tsx fleet/server.ts --port 8081
import { createServer } from "node:http";
import { ConnectError, createGreeterHandler, watchGreeterConfig, type GreeterConfig } from "../gen/ts/index.js";

const etcd = process.env.BALE_ETCD ?? "http://127.0.0.1:2379";
const prefix = process.env.GREETER_PREFIX ?? "/bale/greeter";
const artifact = `configs/${process.env.GREETER_ENV ?? "prod"}/greeter.json`;
const portFlag = process.argv.indexOf("--port");
const portArg = portFlag >= 0 ? Number(process.argv[portFlag + 1]) : undefined;
const name = `greeter[${process.pid}]`;

let config: GreeterConfig | undefined;
const watch = watchGreeterConfig(
  { etcd, prefix, artifact },
  (c, update) => {
    config = c;
    console.log(`${name}: config ${update.sha256.slice(0, 12)} at revision ${update.revision}${update.stale ? " (stale: etcd unreachable)" : ""}`);
  },
  (e) => console.error(`${name}: ${e.message}`),
);

const handler = createGreeterHandler(
  {
    async sayHello(req) {
      const c = config as GreeterConfig; // set before the server listens (see below)
      if (req.name.length > c.maxNameLength) throw new ConnectError("invalid_argument", `name is longer than ${c.maxNameLength} characters`);
      const language = req.language ?? "en";
      const greeting = c.languages[language];
      if (greeting === undefined) throw new ConnectError("not_found", `no greeting for "${language}" in ${c.env}`);
      const message = `${greeting}, ${req.name}!`;
      return { message: c.shout === true ? message.toUpperCase() : message, language };
    },
  },
  { onError: (e) => console.error(`${name}: internal error:`, e) },
);

// Listen once the first config (fresh or stale) is there.
void watch.ready.then((first) => {
  const server = createServer(handler);
  server.listen(portArg ?? first.port, first.host, () => {
    const addr = server.address();
    const actual = typeof addr === "object" && addr !== null ? addr.port : first.port;
    console.log(`${name} (${first.env}) listening on http://${first.host}:${actual}, following ${prefix} in etcd`);
  });
  for (const sig of ["SIGTERM", "SIGINT"] as const) {
    process.on(sig, () => {
      watch.close();
      server.close(() => process.exit(0));
    });
  }
});
