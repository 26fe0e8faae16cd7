/**
 * A process that follows configs through the generated TypeScript live loaders and prints one JSON line per event.
 * Usage: ts-watcher.ts <gen/ts/index.ts> <spec JSON: { source: {...}, artifacts: string[] }>
 */
import { pathToFileURL } from "node:url";

interface Spec {
  source: Record<string, unknown>;
  artifacts: string[];
}

const [genIndex, specText] = process.argv.slice(2) as [string, string];
const spec = JSON.parse(specText) as Spec;
const gen = (await import(pathToFileURL(genIndex).href)) as {
  watchFlags: (source: unknown, onChange: (v: unknown, u: { stale: boolean; revision: number | null; sha256: string }) => void, onError: (e: Error) => void) => { close(): void };
};
const out = (o: unknown): void => void process.stdout.write(JSON.stringify(o) + "\n");
const watches = spec.artifacts.map((artifact) =>
  gen.watchFlags(
    { ...spec.source, artifact },
    (value, u) => out({ event: "change", artifact, value, stale: u.stale, revision: u.revision }),
    (e) => out({ event: "error", artifact, message: e.message }),
  ),
);
out({ event: "started", pid: process.pid });
process.on("SIGTERM", () => {
  for (const w of watches) w.close();
  process.exit(0);
});
