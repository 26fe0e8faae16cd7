// Timing harness for bench/run.mjs: spawns processes directly (no shell unless the
// command itself is one), with a clean environment, and reports median/min/max.
import { spawn } from "node:child_process";
import { request } from "node:http";
import { createServer } from "node:net";
import { existsSync, lstatSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

/** The environment every contender gets: ours minus NODE_EXTRA_CA_CERTS and NODE_OPTIONS, plus `extra`. */
export function cleanEnv(extra = {}) {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.NODE_OPTIONS;
  for (const k of Object.keys(env)) if (k.startsWith("BALE_")) delete env[k];
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/**
 * Runs `cmd args` to completion and returns its wall time in ms (spawn to exit).
 * Throws if it exits non-zero, times out, or its stdout does not match `expect`.
 */
export function runCli(cmd, args, { env, cwd, timeoutMs = 120_000, expect } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let t1 = 0n;
    const child = spawn(cmd, args, { env, cwd, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (err += c));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    }, timeoutMs);
    child.on("exit", () => (t1 = process.hrtime.bigint()));
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const ms = Number(t1 - t0) / 1e6;
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(" ")} exited ${code ?? signal}: ${(err || out).trim().slice(-400)}`));
      if (expect && !expect.test(out)) return reject(new Error(`${cmd}: unexpected output ${JSON.stringify(out.slice(0, 200))} ${err.slice(0, 200)}`));
      resolve(ms);
    });
  });
}

function probe(port, path) {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path, method: "GET", agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode, body }));
      res.on("error", () => resolve(null));
    });
    req.on("error", () => resolve(null));
    req.setTimeout(2000, () => req.destroy());
    req.end();
  });
}

// Below Linux's ephemeral range (32768-60999), so the probes' own client ports never take a server's port.
const PORT_LO = 20000;
const PORT_HI = 32000;
let nextPort = PORT_LO + Math.floor(Math.random() * (PORT_HI - PORT_LO));

/** The next port in the range that nothing listens on right now (checked by binding it). */
async function freePort() {
  for (let tries = 0; tries < 1000; tries++) {
    const port = nextPort++;
    if (nextPort >= PORT_HI) nextPort = PORT_LO;
    const free = await new Promise((resolve) => {
      const srv = createServer();
      srv.once("error", () => resolve(false));
      srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port in ${PORT_LO}-${PORT_HI}`);
}

/**
 * Starts a server (it listens on $PORT), polls 127.0.0.1:$PORT until it answers
 * `path` with 200, and returns the ms from spawn to that first response. The
 * server is then killed and reaped before this resolves. Bounded by `timeoutMs`.
 */
export async function runHttp(cmd, args, { env, cwd, timeoutMs = 60_000, path = "/", expect } = {}) {
  const port = await freePort();
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    // Its own process group: some contenders (caxa) run the app as a child of a stub, so the
    // whole group is killed, and the result is taken on the stub's exit, not on its pipes closing.
    const child = spawn(cmd, args, { env: { ...env, PORT: String(port) }, cwd, stdio: ["ignore", "ignore", "pipe"], detached: true });
    const killGroup = () => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    };
    let err = "";
    let exited = false;
    let result = null;
    child.stderr.on("data", (c) => (err += c));
    const deadline = setTimeout(() => {
      result = new Error(`${cmd}: no HTTP answer on port ${port} within ${timeoutMs} ms ${err.slice(-300)}`);
      killGroup();
    }, timeoutMs);
    child.on("error", (e) => {
      result = e;
    });
    child.on("exit", (code, signal) => {
      exited = true;
      clearTimeout(deadline);
      killGroup(); // anything the stub left behind
      child.stderr.destroy();
      if (result instanceof Error) reject(result);
      else if (typeof result === "number") resolve(result);
      else reject(new Error(`${cmd} exited (${code ?? signal}) before answering: ${err.trim().slice(-400)}`));
    });
    const poll = async () => {
      while (!exited && result === null) {
        const r = await probe(port, path);
        if (r && r.status === 200) {
          const ms = Number(process.hrtime.bigint() - t0) / 1e6;
          if (expect && !expect.test(r.body)) result = new Error(`${cmd}: unexpected body ${JSON.stringify(r.body.slice(0, 200))}`);
          else result = ms;
          killGroup();
          return;
        }
        await new Promise((res) => setTimeout(res, 2));
      }
    };
    poll();
  });
}

export function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  const median = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  return { median, min: s[0], max: s[n - 1], n, samples };
}

/** Round `i`'s order of `xs`: rotation i mod n, reversed in every other cycle of n rounds. */
function roundOrder(xs, i) {
  const n = xs.length;
  const k = i % n;
  const rotated = [...xs.slice(k), ...xs.slice(0, k)];
  return Math.floor(i / n) % 2 ? rotated.reverse() : rotated;
}

/**
 * Measures several contenders in interleaved rounds (A B C A B C ...) so machine
 * drift spreads evenly over them. Each contender: { id, run: (i) => Promise<ms>,
 * before?: (i) => void, after?: (i) => void } (before/after are not timed). With `alternate`, the
 * rounds go through every order of them (roundOrder).
 * A contender that throws is dropped with its error recorded; the others go on.
 */
export async function interleave(contenders, { warmup = 2, runs = 10, log = () => {}, alternate = false } = {}) {
  const results = new Map();
  const live = contenders.filter((c) => c);
  for (const c of live) results.set(c.id, { samples: [], error: null });
  const total = warmup + runs;
  for (let i = 0; i < total; i++) {
    // alternate: the rounds go through every order of the contenders (rotations, then the same reversed:
    // A B, B A, B A, A B; with three, all six), so that an order effect (a run paying for the teardown of
    // the one before it) lands on each of them equally.
    for (const c of alternate ? roundOrder(live, i) : live) {
      const r = results.get(c.id);
      if (r.error) continue;
      try {
        if (c.before) await c.before(i);
        const ms = await c.run(i);
        if (c.after) await c.after(i);
        if (i >= warmup) r.samples.push(ms);
      } catch (e) {
        r.error = String(e.message ?? e).split("\n")[0].slice(0, 300);
        log(`  ${c.id}: failed: ${r.error}`);
      }
    }
  }
  const out = {};
  for (const [id, r] of results) out[id] = r.error ? { error: r.error } : stats(r.samples);
  return out;
}

/** Files and bytes under a directory (symlinks counted, not followed). */
export function dirSize(dir) {
  let files = 0;
  let bytes = 0;
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else {
        files++;
        bytes += st.size;
      }
    }
  };
  walk(dir);
  return { files, bytes };
}

/**
 * Removes a bale cache directory after a timed first run (untimed): first waits (up to 20 s) for the
 * background sync that first run started to rename its markers (.bale-ok-<boot id> -> .bale-ok), so
 * its work never overlaps the next contender's timed run, nor races the removal.
 */
export function dropCache(dir) {
  const pending = () => {
    const dirs = [];
    for (const base of [dir, join(dir, "runtimes")]) {
      if (!existsSync(base)) continue;
      for (const n of readdirSync(base)) if (/^[0-9a-f]{32}(?:[0-9a-f]{32})?$/.test(n)) dirs.push(join(base, n));
    }
    return dirs.some((d) => {
      try {
        return readdirSync(d).some((n) => n.startsWith(".bale-ok-"));
      } catch {
        return false;
      }
    });
  };
  const t0 = Date.now();
  while (pending() && Date.now() - t0 < 20_000) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
  rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
}
