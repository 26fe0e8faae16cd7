/**
 * `bale config publish` without loading yargs and every command module: in a fresh publish process on this
 * machine, yargs is most of the time before the publish starts (see the README's fleet numbers). Only the
 * plain spellings of the publish flags are taken here; anything else (help, `--flag=value`, a repeated or
 * unknown flag, a value that starts with `-`, a missing `--etcd`) returns undefined and goes through yargs,
 * which parses the same flags the same way and owns every usage error.
 */
import type { PublishArgs } from "./commands/fleet.js";

type ValueFlag = "etcd" | "prefix" | "output" | "canary";

const VALUE_FLAGS: Readonly<Record<string, ValueFlag>> = { "--etcd": "etcd", "--prefix": "prefix", "--output": "output", "-o": "output", "--canary": "canary" };
const BOOLEAN_FLAGS: Readonly<Record<string, readonly ["json" | "build", boolean]>> = { "--json": ["json", true], "--build": ["build", true], "--no-build": ["build", false] };

export function fastPublishArgs(argv: readonly string[]): PublishArgs | undefined {
  if (argv[0] !== "config" || argv[1] !== "publish") return undefined;
  const values: Partial<Record<ValueFlag, string>> = {};
  const flags: { json?: boolean; build?: boolean } = {};
  let root: string | undefined;
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i] as string;
    const v = Object.hasOwn(VALUE_FLAGS, a) ? VALUE_FLAGS[a] : undefined;
    if (v !== undefined) {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith("-") || values[v] !== undefined) return undefined;
      values[v] = value;
      i++;
      continue;
    }
    const b = Object.hasOwn(BOOLEAN_FLAGS, a) ? BOOLEAN_FLAGS[a] : undefined;
    if (b !== undefined) {
      if (flags[b[0]] !== undefined) return undefined;
      flags[b[0]] = b[1];
      continue;
    }
    if (a.startsWith("-") || root !== undefined) return undefined;
    root = a;
  }
  if (values.etcd === undefined) return undefined;
  return {
    root: root ?? ".",
    etcd: values.etcd,
    json: flags.json ?? false,
    build: flags.build ?? true,
    ...(values.prefix !== undefined ? { prefix: values.prefix } : {}),
    ...(values.output !== undefined ? { output: values.output } : {}),
    ...(values.canary !== undefined ? { canary: values.canary } : {}),
  };
}
