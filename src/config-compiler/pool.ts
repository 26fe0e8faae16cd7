/**
 * A small pool of evaluation workers (one task per worker at a time). A worker that runs out
 * of memory or overruns the time limit (vm's timeout failed to stop it) is terminated and
 * replaced; only its task fails.
 */
import { Worker } from "node:worker_threads";
import { availableParallelism } from "node:os";
import type { EvalResult, WorkerRequest } from "./protocol.js";

type Configure = Extract<WorkerRequest, { type: "configure" }>;
type Task = { source: string; kind: "config" | "service"; code: string; profileMs?: number };

interface Slot {
  worker: Worker;
  busy: boolean;
  done?: (r: EvalResult) => void;
  timer?: NodeJS.Timeout;
}

const FROM_SOURCE = import.meta.url.endsWith(".ts");
const WORKER_URL = FROM_SOURCE ? new URL("./worker.ts", import.meta.url) : new URL("./worker.js", import.meta.url);

/** Running from TypeScript sources (tests under tsx): a worker needs tsx registered first. */
function sourceWorker(): string {
  const api = import.meta.resolve("tsx/esm/api");
  return `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
}

export interface PoolOptions {
  size?: number;
  memoryLimitMb: number;
}

export class WorkerPool {
  private slots: Slot[] = [];
  private queue: { task: Task; resolve: (r: EvalResult) => void }[] = [];
  private config: Configure | undefined;
  private nextId = 1;
  private closed = false;
  readonly size: number;
  readonly memoryLimitMb: number;

  constructor(o: PoolOptions) {
    this.size = Math.max(1, o.size ?? Math.min(availableParallelism(), 8));
    this.memoryLimitMb = o.memoryLimitMb;
  }

  /** Starts the workers now (they load while the main thread bundles). */
  warm(count = this.size): void {
    while (this.slots.length < Math.min(count, this.size)) this.slots.push(this.spawn());
  }

  configure(c: Omit<Configure, "type">): void {
    this.config = { type: "configure", ...c };
    for (const s of this.slots) s.worker.postMessage(this.config);
  }

  run(task: Task): Promise<EvalResult> {
    if (this.closed) return Promise.reject(new Error("worker pool is closed"));
    return new Promise((resolve) => {
      this.queue.push({ task, resolve });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = this.slots.splice(0);
    await Promise.all(all.map((s) => s.worker.terminate()));
  }

  private spawn(): Slot {
    const worker = new Worker(FROM_SOURCE ? sourceWorker() : WORKER_URL, {
      eval: FROM_SOURCE,
      resourceLimits: { maxOldGenerationSizeMb: this.memoryLimitMb, maxYoungGenerationSizeMb: Math.min(64, Math.max(8, this.memoryLimitMb >> 3)) },
      stdout: false,
      stderr: false,
    });
    worker.unref();
    const slot: Slot = { worker, busy: false };
    if (this.config) worker.postMessage(this.config);
    worker.on("message", (m: { id: number; result: EvalResult }) => {
      void m.id;
      this.finish(slot, m.result);
    });
    worker.on("error", (e: Error & { code?: string }) => {
      const oom = e.code === "ERR_WORKER_OUT_OF_MEMORY";
      this.replace(slot, oom ? { status: "memory", logs: [] } : { status: "internal", message: e.stack ?? e.message, logs: [] });
    });
    worker.on("exit", () => this.replace(slot, { status: "internal", message: "the evaluation worker exited unexpectedly", logs: [] }));
    return slot;
  }

  private finish(slot: Slot, r: EvalResult): void {
    if (slot.timer) clearTimeout(slot.timer);
    const done = slot.done;
    slot.busy = false;
    slot.worker.unref();
    delete slot.done;
    delete slot.timer;
    done?.(r);
    this.pump();
  }

  /** Fails the slot's task (if any) with `r` and swaps in a fresh worker. */
  private replace(slot: Slot, r: EvalResult): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    slot.worker.removeAllListeners();
    slot.worker.on("error", () => {});
    void slot.worker.terminate();
    if (slot.busy) this.finish(slot, r);
    if (!this.closed && (this.queue.length > 0 || this.slots.length === 0)) {
      this.slots.push(this.spawn());
      this.pump();
    }
  }

  private pump(): void {
    if (this.closed) return;
    while (this.queue.length) {
      let slot = this.slots.find((s) => !s.busy);
      if (!slot && this.slots.length < this.size) {
        slot = this.spawn();
        this.slots.push(slot);
      }
      if (!slot) return;
      const { task, resolve } = this.queue.shift() as { task: Task; resolve: (r: EvalResult) => void };
      slot.busy = true;
      slot.done = resolve;
      const timeoutMs = this.config?.timeoutMs ?? 5000;
      const s = slot;
      // Backstop: vm's timeout covers script execution; this covers anything it cannot stop.
      slot.timer = setTimeout(() => this.replace(s, { status: "timeout", logs: [] }), timeoutMs * 4 + 2000);
      slot.worker.ref();
      const msg: WorkerRequest = { type: "eval", id: this.nextId++, ...task };
      slot.worker.postMessage(msg);
    }
  }
}
