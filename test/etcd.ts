/**
 * Real etcd processes for the fleet tests: a single node or a 3-member cluster on loopback ports,
 * each member in its own temp data dir, every process stopped when the test file ends (and on exit).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { get } from "node:http";
import { createServer } from "node:net";
import { join } from "node:path";
import { after } from "node:test";
import { tmp } from "./helpers.js";

export interface Member {
  name: string;
  clientUrl: string;
  /** Starts (or restarts) this member on its data dir; resolves once it answers /health. */
  start(): Promise<void>;
  /** SIGKILL, resolves when the process is gone. */
  kill(): Promise<void>;
  running(): boolean;
}

export interface Cluster {
  members: Member[];
  endpoints: string[];
  /** Comma-separated endpoints, as `--etcd` takes them. */
  etcd: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const p of live) p.kill("SIGKILL");
});
after(async () => {
  for (const p of live) p.kill("SIGKILL");
});

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function healthy(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get(url + "/health", { timeout: 1000 }, (res) => {
      let b = "";
      res.on("data", (c: Buffer) => (b += c.toString()));
      res.on("end", () => resolve(res.statusCode === 200 && b.includes('"true"')));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
  });
}

export async function waitHealthy(url: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await healthy(url)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`etcd at ${url} not healthy within ${timeoutMs} ms`);
}

/** Starts `size` members (1 or 3) and waits until every one is healthy. */
export async function startCluster(size = 1): Promise<Cluster> {
  const dir = tmp("bale-etcd-");
  const ports: { client: number; peer: number }[] = [];
  for (let i = 0; i < size; i++) ports.push({ client: await freePort(), peer: await freePort() });
  const initial = ports.map((p, i) => `m${i}=http://127.0.0.1:${p.peer}`).join(",");
  const members: Member[] = ports.map((p, i) => {
    const name = `m${i}`;
    const clientUrl = `http://127.0.0.1:${p.client}`;
    let proc: ChildProcess | undefined;
    let exited: Promise<void> = Promise.resolve();
    const m: Member = {
      name,
      clientUrl,
      running: () => proc !== undefined,
      async start() {
        if (proc) return;
        const args = [
          "--name", name,
          "--data-dir", join(dir, name),
          "--listen-client-urls", clientUrl,
          "--advertise-client-urls", clientUrl,
          "--listen-peer-urls", `http://127.0.0.1:${p.peer}`,
          "--initial-advertise-peer-urls", `http://127.0.0.1:${p.peer}`,
          "--initial-cluster", initial,
          "--initial-cluster-state", "new",
          "--initial-cluster-token", `bale-test-${ports[0]?.peer ?? 0}`,
          "--heartbeat-interval", "50",
          "--election-timeout", "500",
          "--log-level", "error",
          "--logger", "zap",
        ];
        const child = spawn("etcd", args, { stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr?.setEncoding("utf8").on("data", (c: string) => (stderr = (stderr + c).slice(-4000)));
        proc = child;
        live.add(child);
        exited = new Promise((r) => child.once("exit", () => r()));
        child.once("exit", () => {
          live.delete(child);
          if (proc === child) proc = undefined;
        });
        try {
          await waitHealthyOrAlone(clientUrl, size);
        } catch (e) {
          throw new Error(`${(e as Error).message}\n${stderr}`);
        }
      },
      async kill() {
        if (!proc) return;
        proc.kill("SIGKILL");
        await exited;
      },
    };
    return m;
  });
  const cluster: Cluster = {
    members,
    endpoints: members.map((m) => m.clientUrl),
    etcd: members.map((m) => m.clientUrl).join(","),
    async start() {
      await Promise.all(members.map((m) => m.start()));
      for (const m of members) await waitHealthy(m.clientUrl);
    },
    async stop() {
      await Promise.all(members.map((m) => m.kill()));
    },
  };
  await cluster.start();
  return cluster;
}

/** A cluster member is healthy only once a quorum is up: when starting members one by one, wait for the port only. */
async function waitHealthyOrAlone(url: string, size: number): Promise<void> {
  if (size === 1) return waitHealthy(url);
  const end = Date.now() + 20_000;
  while (Date.now() < end) {
    const up = await new Promise<boolean>((resolve) => {
      const req = get(url + "/version", { timeout: 1000 }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on("timeout", () => req.destroy());
      req.on("error", () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`etcd at ${url} did not open its client port`);
}
