/** The only place that writes to the terminal. Commands call these helpers. */
import { BaleError, BaleErrors } from "../errors.js";

/**
 * A reader that stops early (`bale inspect --files | head`) closes the pipe; like other Unix tools,
 * bale then stops quietly instead of dying with an EPIPE stack.
 */
export function quietOnClosedStdout(): void {
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
    process.exit(0);
  });
}

export function out(line = ""): void {
  process.stdout.write(line + "\n");
}

export function err(line: string): void {
  process.stderr.write(line + "\n");
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}

/** What config scripts wrote with console.*, on stderr, one line each. */
export function printScriptLogs(logs: readonly { source: string; level: string; message: string }[]): void {
  for (const l of logs) err(`${l.source}: console.${l.level}: ${l.message}`);
}

/** Starts a watcher and keeps it running until SIGINT or SIGTERM, then closes it (the command then exits 0). A start that throws rejects. */
export function untilSignal(start: () => { close(): Promise<void> }): Promise<void> {
  return new Promise<void>((resolveWatch) => {
    const w = start();
    const stop = (): void => {
      void w.close().then(() => resolveWatch());
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}

/** Exit code for user errors and failed checks (the CLI contract). */
export const EXIT_USER = 1;
/** Exit code for usage errors (bad flags or arguments). */
export const EXIT_USAGE = 2;
/** Exit code for internal bugs (sysexits EX_SOFTWARE). */
export const EXIT_INTERNAL = 70;

export function reportError(e: unknown): number {
  if (e instanceof BaleErrors) {
    for (const one of e.errors) printBaleError(one);
    err(`bale: ${e.errors.length} error${e.errors.length === 1 ? "" : "s"}`);
    return EXIT_USER;
  }
  if (e instanceof BaleError) {
    printBaleError(e);
    return EXIT_USER;
  }
  const stack = e instanceof Error ? (e.stack ?? String(e)) : String(e);
  err(`bale: internal error: ${stack}`);
  err("This is a bug in bale; please report it with the command you ran and the output above.");
  return EXIT_INTERNAL;
}

function printBaleError(e: BaleError): void {
  err(`bale: error: ${e.oneLine()}`);
  for (const d of e.details) err(`  ${d}`);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}
