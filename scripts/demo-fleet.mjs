// `npm run demo:fleet` (after `npm run build`): the greeter as a fleet, on a copy of examples/greeter.
//   1. start etcd            a single node on free loopback ports in a temp dir (or use $BALE_ETCD)
//   2. bale config publish   build and publish the greeter's config to etcd (one guarded transaction)
//   3. three servers         examples/greeter/fleet/server.ts, each following the store (generated live loader)
//   4. edit + publish        prod config gets shout: true; all three answer in capitals, without a restart
//   5. status, history       what is live, the last publishes; then a rollback, and the servers follow it back
// Every process is stopped at the end (also on failure); the first failure exits non-zero.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, healthy } from "./lib/etcd.mjs";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const cli = join(root, "dist/cli/main.js");
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;
const work = mkdtempSync(join(tmpdir(), "bale-fleet-demo-"));
const ex = join(work, "greeter");
const children = [];
const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

function fail(msg) {
  process.stderr.write(`demo: FAILED: ${msg}\n`);
  process.exitCode = 1;
  throw new Error(msg);
}

function bale(args, title) {
  process.stdout.write(`\n${bold("$ bale " + args.join(" ").replaceAll(work + "/", ""))}   # ${title}\n`);
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: work, env, encoding: "utf8" });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  if (r.status !== 0) fail(`${title} (exit ${r.status ?? r.signal})`);
  return r.stdout;
}

async function until(what, f, ms = 15_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function hello(port) {
  // A pooled keep-alive connection can be closed by the server just as it is reused: retry then.
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/demo.v1.Greeter/SayHello`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"name":"Ada","language":"fr"}' });
      return (await res.json()).message;
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
}

try {
  cpSync(join(root, "examples/greeter"), ex, { recursive: true, filter: (p) => !/\/(out|gen|dist|bale-env\.d\.ts)$/.test(p) });
  let etcd = process.env.BALE_ETCD;
  if (!etcd) {
    const [c, p] = [await freePort(), await freePort()];
    etcd = `http://127.0.0.1:${c}`;
    process.stdout.write(`${bold(`$ etcd --data-dir ${work}/etcd --listen-client-urls ${etcd} ...`)}   # a single etcd node for the demo\n`);
    const e = spawn("etcd", ["--name", "demo", "--data-dir", join(work, "etcd"), "--listen-client-urls", etcd, "--advertise-client-urls", etcd, "--listen-peer-urls", `http://127.0.0.1:${p}`, "--initial-advertise-peer-urls", `http://127.0.0.1:${p}`, "--initial-cluster", `demo=http://127.0.0.1:${p}`, "--log-level", "error", "--logger", "zap"], { stdio: "ignore" });
    e.on("error", () => fail("cannot start etcd (install it: apt-get install etcd-server), or set BALE_ETCD"));
    children.push(e);
    await until("etcd", () => healthy(etcd));
  }
  const prefix = `/bale/greeter-demo-${process.pid}`;
  bale(["config", "publish", "greeter", "--etcd", etcd, "--prefix", prefix], "build, then publish every artifact in one guarded transaction");
  bale(["gen", "greeter", "--lang", "ts"], "the typed loaders, watchGreeterConfig included");

  const ports = [await freePort(), await freePort(), await freePort()];
  const servers = ports.map((port) => {
    const s = spawn(process.execPath, ["--import", "tsx", join(ex, "fleet/server.ts"), "--port", String(port)], { cwd: root, env: { ...env, BALE_ETCD: etcd, GREETER_PREFIX: prefix, BALE_FLEET_CACHE_DIR: join(work, "cache") }, stdio: ["ignore", "pipe", "pipe"] });
    children.push(s);
    s.output = "";
    for (const st of [s.stdout, s.stderr]) st.setEncoding("utf8").on("data", (d) => (s.output += d));
    return s;
  });
  process.stdout.write(`\n${bold("$ node --import tsx fleet/server.ts --port N")}   # three servers, each following ${prefix}\n`);
  for (const [i, s] of servers.entries()) await until(`server ${i}`, () => s.output.includes("listening on"));
  const say = async (title) => {
    const replies = [];
    for (const [i, port] of ports.entries()) replies.push(`server ${i + 1} (pid ${servers[i].pid}): ${await hello(port)}`);
    process.stdout.write(`${title}\n  ${replies.join("\n  ")}\n`);
    return replies;
  };
  await say("before the change:");

  const cfg = join(ex, "configs/prod/greeter.config.ts");
  writeFileSync(cfg, readFileSync(cfg, "utf8").replace("shout: false", "shout: true"));
  process.stdout.write(`\n${bold("$ sed -i 's/shout: false/shout: true/' greeter/configs/prod/greeter.config.ts")}\n`);
  bale(["config", "publish", "greeter", "--etcd", etcd, "--prefix", prefix], "publish the change; the servers keep running");
  for (const port of ports) await until("the change to reach every server", async () => (await hello(port)) === "BONJOUR, ADA!");
  await say("after the publish (same processes, no restart):");

  bale(["config", "status", "greeter", "--etcd", etcd, "--prefix", prefix], "what is live");
  bale(["config", "history", "greeter", "--etcd", etcd, "--prefix", prefix], "the last publishes");
  bale(["config", "rollback", "greeter", "--etcd", etcd, "--prefix", prefix], "back to the previous manifest");
  for (const port of ports) await until("the rollback to reach every server", async () => (await hello(port)) === "Bonjour, Ada!");
  await say("after the rollback:");
  for (const s of servers) if (s.exitCode !== null) fail(`a server exited: ${s.output}`);
  process.stdout.write("\nserver logs:\n" + servers.map((s) => s.output.trim()).join("\n") + "\n");
} finally {
  for (const c of children) c.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
}
