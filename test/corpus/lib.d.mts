// Types for lib.mjs (used by test/e2e/corpus.test.ts).
export declare const CORPUS_SRC: string;
export declare const REPO: string;
export declare const RESULTS_FILE: string;
export interface CorpusApp {
  name: string;
  dir: string;
  entry: string;
  packPath: string;
  args: string[];
  stdin: string;
  status: number;
  compareStderr: boolean;
  deps: Record<string, string>;
}
export interface ProcessResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}
export interface RunRecord {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}
export interface AppResult {
  name: string;
  pass: boolean;
  stage: "reference" | "pack" | "cold" | "warm" | "done";
  reason: string;
  archive?: string;
  ref?: RunRecord;
  pack?: RunRecord;
  cold?: RunRecord;
  warm?: RunRecord;
}
export declare function corpusEnv(extra?: Record<string, string | undefined>): NodeJS.ProcessEnv;
export declare function corpusBase(): string;
export declare function installCorpus(opts?: { log?: (msg: string) => void }): string;
export declare function loadApps(work: string): CorpusApp[];
export declare function hideNodeModules(work: string): () => void;
export declare function restoreHidden(work: string): void;
export declare function lockCorpus(work: string): () => void;
export declare function runProcess(cmd: string, args: string[], opts?: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number }): Promise<ProcessResult>;
export declare function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]>;
export declare function firstDifference(want: string, got: string): string;
export declare function checkCorpus(opts: {
  work: string;
  apps: CorpusApp[];
  cli: string;
  outDir: string;
  neutral: string;
  concurrency?: number;
  log?: (msg: string) => void;
}): Promise<AppResult[]>;
export declare function writeResults(results: AppResult[], extra?: Record<string, unknown>): void;
