/** Watcher processes (generated TS or Python live loaders) for the fleet tests, with event-driven waits. */
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { after } from "node:test";
import { ROOT, bale, env } from "./helpers.js";
import { writeProject } from "./fleet-fixtures.js";

export interface WatchEvent {
  event: "started" | "change" | "error";
  artifact?: string;
  value?: { greeting: string; level: number };
  stale?: boolean;
  revision?: number | null;
  message?: string;
  pid?: number;
}

const procs = new Set<ChildProcess>();
after(() => {
  for (const p of procs) p.kill("SIGKILL");
});
process.on("exit", () => {
  for (const p of procs) p.kill("SIGKILL");
});

/** A config project with its bindings generated (gen/ts, gen/python). */
export function projectWithBindings(root: string, configs: Record<string, string>): void {
  writeProject(root, configs);
  for (const args of [["config", "build", root], ["gen", root, "--lang", "ts,python", "-o", join(root, "gen")]]) {
    const r = bale(args);
    if (r.status !== 0) throw new Error(`bale ${args.join(" ")} failed: ${r.stderr}`);
  }
}

export class Watcher {
  readonly events: WatchEvent[] = [];
  private waiters: (() => void)[] = [];
  readonly proc: ChildProcess;
  private stderr = "";
  constructor(lang: "ts" | "python", root: string, spec: { source: Record<string, unknown>; artifacts: string[] }, extraEnv: Record<string, string> = {}) {
    const args =
      lang === "ts"
        ? ["--import", "tsx", join(ROOT, "test/fleet/ts-watcher.ts"), join(root, "gen/ts/index.ts"), JSON.stringify(spec)]
        : [join(ROOT, "test/fleet/py-watcher.py"), join(root, "gen/python"), JSON.stringify(spec)];
    this.proc = spawn(lang === "ts" ? process.execPath : "python3", args, { cwd: ROOT, env: env(extraEnv), stdio: ["ignore", "pipe", "pipe"] });
    procs.add(this.proc);
    this.proc.on("exit", () => procs.delete(this.proc));
    let buf = "";
    this.proc.stdout?.setEncoding("utf8").on("data", (c: string) => {
      buf += c;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          this.events.push(JSON.parse(line) as WatchEvent);
        } catch {
          this.stderr += `(stdout) ${line}\n`;
        }
        for (const w of this.waiters.splice(0)) w();
      }
    });
    this.proc.stderr?.setEncoding("utf8").on("data", (c: string) => (this.stderr = (this.stderr + c).slice(-4000)));
    this.proc.on("exit", () => {
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Waits until some event satisfies `pred` (checked on every new event), or fails after timeoutMs. */
  async waitFor(what: string, pred: (e: WatchEvent) => boolean, timeoutMs = 15_000): Promise<WatchEvent> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.find(pred);
      if (hit) return hit;
      if (this.proc.exitCode !== null) throw new Error(`watcher exited (${this.proc.exitCode}) while waiting for ${what}\n${this.stderr}\n${JSON.stringify(this.events)}`);
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; events: ${JSON.stringify(this.events)}\n${this.stderr}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Levels delivered for one artifact, in order. */
  levels(artifact: string): number[] {
    return this.events.filter((e) => e.event === "change" && e.artifact === artifact && e.value).map((e) => (e.value as { level: number }).level);
  }

  stop(): void {
    this.proc.kill("SIGKILL");
  }
}

/** Established TCP connections from process `pid` to `port` (read from /proc). */
export function connectionsTo(pid: number, port: number): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1] as string);
    } catch {
      /* fd closed meanwhile */
    }
  }
  let n = 0;
  for (const f of ["tcp", "tcp6"]) {
    let text = "";
    try {
      text = readFileSync(`/proc/${pid}/net/${f}`, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c.length < 10) continue;
      const remPort = parseInt((c[2] ?? "").split(":")[1] ?? "0", 16);
      if (c[3] === "01" && remPort === port && inodes.has(c[9] as string)) n++;
    }
  }
  return n;
}
