/**
 * The `#!/bin/sh` prelude at the head of every archive.
 *
 * Warm path (the app was extracted before): pure sh builtins, no fork, no JS —
 * compute the cache dir exactly as `cacheRoot()` does, check the entry is ours
 * (owned by us, not a symlink) and complete (its marker names this app id),
 * then `exec` node on the entry. The app is node's main module, so argv,
 * stdin, signals and exit codes are its own.
 *
 * Cold path: run node on the embedded extractor, reading only its bytes (by
 * offset, checked against their sha256), which extracts atomically and
 * returns; then exec exactly as on the warm path.
 */

import { MARKER } from "../archive/cache.js";

export interface PreludeOptions {
  name: string;
  appId: string;
  /** Entry path inside the payload (POSIX). */
  entry: string;
  nodeOptions: string[];
  /** Payload-relative config dir to export as BALE_CONFIG_DIR, or null. */
  configDir: string | null;
  extractorOffset: number;
  extractorLength: number;
  extractorSha256: string;
  /** sha256 of the index JSON: the extractor refuses an index that does not match. */
  indexSha256: string;
}

/** Quotes a string for sh: single quotes, with embedded quotes spliced. */
export function shQuote(s: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Numbers in the bootstrap are padded to a fixed width so the prelude's
 * length (which is the extractor's offset) does not depend on them.
 */
const NUM_WIDTH = 15;
const pad = (n: number): string => String(n).padStart(NUM_WIDTH, " ");

function bootstrap(o: PreludeOptions): string {
  // Runs as `node -e` (CommonJS, `require` in scope). No single quotes: it sits inside '...' in sh.
  const js =
    `var f=require("fs"),a=process.argv[1],L=${pad(o.extractorLength)},b=Buffer.alloc(L),d=f.openSync(a,"r"),` +
    `n=f.readSync(d,b,0,L,${pad(o.extractorOffset)});f.closeSync(d);` +
    `if(n!==L||require("crypto").createHash("sha256").update(b).digest("hex")!=="${o.extractorSha256}"){` +
    `process.stderr.write("bale: "+a+": the archive is truncated or corrupt (its extractor is damaged). ` +
    `Fix: copy the archive again or rebuild it with bale pack.\\n");process.exit(1)}` +
    `require("vm").runInThisContext(b.toString(),{filename:a+"[bale-extractor]"})(require)`;
  if (js.includes("'")) throw new Error("internal: bootstrap must not contain single quotes");
  return js;
}

export function renderPrelude(o: PreludeOptions): string {
  const nodeArgs = o.nodeOptions.map(shQuote).join(" ");
  const configLine =
    o.configDir === null
      ? ""
      : `[ -n "\${BALE_CONFIG_DIR+x}" ] || { BALE_CONFIG_DIR="$_bale_d"/${shQuote(o.configDir)}; export BALE_CONFIG_DIR; }\n`;
  return (
    `#!/bin/sh\n` +
    `# bale executable archive (format 1): ${o.name.replace(/[^\x20-\x7e]/g, "?")}\n` +
    `# Run it like the app itself. \`bale inspect\` / \`bale verify\` show and check what is inside.\n` +
    `_bale_id=${o.appId}\n` +
    `if [ -n "\${BALE_CACHE_DIR:-}" ]; then _bale_c=$BALE_CACHE_DIR\n` +
    `elif [ -n "\${XDG_CACHE_HOME:-}" ] && [ "\${XDG_CACHE_HOME#/}" != "$XDG_CACHE_HOME" ]; then _bale_c=$XDG_CACHE_HOME/bale\n` +
    `elif [ -n "\${HOME:-}" ]; then _bale_c=$HOME/.cache/bale\n` +
    `else _bale_c=\${TMPDIR:-/tmp}/bale-$(id -u); fi\n` +
    `_bale_d=$_bale_c/$_bale_id\n` +
    `case $0 in /*) BALE_ARCHIVE=$0 ;; *) BALE_ARCHIVE=$PWD/$0 ;; esac\n` +
    `export BALE_ARCHIVE\n` +
    `_bale_ok=\n` +
    `if [ -O "$_bale_d" ] && [ ! -L "$_bale_d" ] && [ -O "$_bale_c" ] && [ ! -L "$_bale_c" ] && [ -f "$_bale_d/${MARKER}" ]; then\n` +
    `  read -r _bale_ok < "$_bale_d/${MARKER}"\n` +
    `fi\n` +
    `if [ "$_bale_ok" != "$_bale_id" ]; then\n` +
    `  NODE_OPTIONS= "\${BALE_NODE:-node}" -e '${bootstrap(o)}' "$BALE_ARCHIVE" "$_bale_c" "$_bale_id" ${o.indexSha256} || exit\n` +
    `fi\n` +
    configLine +
    `exec "\${BALE_NODE:-node}"${nodeArgs ? " " + nodeArgs : ""} "$_bale_d"/${shQuote(o.entry)} "$@"\n` +
    `exit 127\n`
  );
}
