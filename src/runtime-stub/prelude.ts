/**
 * The `#!/bin/sh` prelude at the head of every archive.
 *
 * Layout: the shebang; one line that sets an EXIT trap saying "truncated";
 * then every other command inside ONE `{ ... }` block that ends on the
 * prelude's last line. sh parses a whole block before it runs any of it, so
 *  - a file cut anywhere after the trap line runs nothing and exits 1 with a
 *    clear message (the trap), never 0 and never the app without its argv;
 *  - bytes read after the block (bash reads scripts as it goes) never run,
 *    even if the archive is overwritten while its first run extracts.
 * The block clears the trap first thing, and ends in `exec` (or `exit`).
 *
 * Warm path (the app was extracted before): pure sh builtins, no fork, no JS —
 * compute the cache dir exactly as `cacheRoot()` does, find node on PATH
 * (or BALE_NODE), check the entry is ours (owned by us, not a symlink),
 * complete (its marker is there — the directory is named by the app id and the
 * marker is renamed in last, so its presence is enough and its contents are not
 * read: dash reads a file one byte per syscall — its entry file is there) and was
 * last checked with this node binary (the `.bale-node` stamp names it and is
 * not older than it), then `exec` node on the entry. The app is node's main
 * module, so argv, stdin, signals and exit codes are its own.
 *
 * Cold path, fast (`fastPath`): where the host has zstd, tar and sha256sum, the prelude extracts the
 * payload itself — `tail | head | zstd -d | tar -x` into a private work dir (the payload's integrity is
 * its frame's content checksum, which zstd verifies; the extractor and the index are checked against
 * their pinned sha256), the cache's file list taken from the payload, the marker written, the tree
 * synced, then published with one rename under the same lock file the extractor takes. It declines
 * (cleaning up) at anything unusual — a tool missing or failing, an entry already there, a lock held, a
 * node outside the range, a noexec mount, a cache directory that is not safe — and the extractor runs.
 *
 * Cold path, general: run node on the embedded extractor, reading only its bytes (by
 * offset, checked against their sha256), which checks the Node version,
 * extracts (or re-checks and repairs) atomically, stamps the node binary and
 * returns; then exec exactly as on the warm path. It says what went wrong where the fast path declined.
 */

import { BOOT_ID_FILE, bootMarker, CACHEDIR_TAG_NAME, entryName, FILES, MARKER, NODE_STAMP, RUNTIMES, trashPrefix, workPrefix } from "../archive/paths.js";
import { type ArchiveIndex, encodeTrailer, type RuntimeInfo } from "../archive/format.js";
import { sha256 } from "../archive/io.js";
import { CACHEDIR_TAG, markerText } from "./cache.js";
import { rangeToSh } from "./node-version.js";

/** Where the archive's own Node.js runtime is: its identity and the two segments that make it. */
export interface PreludeRuntime {
  info: RuntimeInfo;
  decoder: { offset: number; length: number; sha256: string };
  segment: { offset: number; length: number; sha256: string };
}

export interface PreludeOptions {
  name: string;
  appId: string;
  /** Entry path inside the payload (POSIX). */
  entry: string;
  /** The Node.js range the app needs (for the "node is missing" message). */
  node: string;
  nodeOptions: string[];
  /** Payload-relative config dir to export as BALE_CONFIG_DIR, or null. */
  configDir: string | null;
  extractorOffset: number;
  extractorLength: number;
  extractorSha256: string;
  /** Where the payload is (its sha256 is the app id): the sh fast path reads it with tail | head. */
  payloadOffset: number;
  payloadLength: number;
  /** sha256 of the archive's tail from the index on (index JSON + trailer): the fast path checks it. */
  tailSha256: string;
  /** Render the sh fast cold path (the payload's frame has a content checksum, which it relies on). */
  fastPath: boolean;
  /** The bale version that packed the archive (the cache marker records it). */
  bale: string;
  /** sha256 of the index JSON: the extractor refuses an index that does not match. */
  indexSha256: string;
  /** The embedded runtime (format 2), or null to run on the host's node. */
  runtime: PreludeRuntime | null;
}

/** Quotes a string for sh: single quotes, with embedded quotes spliced. */
export function shQuote(s: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Text safe inside a double-quoted sh string and a one-line message. */
function shMessageText(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, "?").replace(/["$`\\]/g, "?");
}

/**
 * Numbers in the bootstrap are padded to a fixed width so the prelude's
 * length (which is the extractor's offset) does not depend on them.
 */
const NUM_WIDTH = 15;
const pad = (n: number): string => String(n).padStart(NUM_WIDTH, " ");
/** Zero-padded where the number is glued to other text (`tail -c +N`) and for the decoder's arguments. */
const pad0 = (n: number): string => {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`internal: ${n} is not a byte count`);
  return String(n).padStart(NUM_WIDTH, "0");
};

/**
 * The values the prelude pins, each spelled by one template: `pin` renders it, `readPins` parses it
 * back (the same template, with the value a capture group), so the two cannot drift apart.
 */
const PINS = {
  appId: { text: (v: string) => `\n_bale_id=${v}\n`, value: "[0-9a-f]{64}" },
  indexSha256: { text: (v: string) => ` "$_bale_id" ${v} `, value: "[0-9a-f]{64}" },
  extractorLength: { text: (v: string) => `,L=${v},b=Buffer.alloc(L),`, value: "[ 0-9]{15}" },
  extractorOffset: { text: (v: string) => `n=f.readSync(d,b,0,L,${v});`, value: "[ 0-9]{15}" },
  extractorSha256: { text: (v: string) => `.digest("hex")!=="${v}"){`, value: "[0-9a-f]{64}" },
} as const;
type PinName = keyof typeof PINS;

function pin(name: PinName, v: string): string {
  if (!new RegExp(`^${PINS[name].value}$`).test(v)) throw new Error(`internal: ${name} ${JSON.stringify(v)} does not fit the prelude`);
  return PINS[name].text(v);
}

export interface Pins {
  appId: string;
  indexSha256: string;
  extractorOffset: number;
  extractorLength: number;
  extractorSha256: string;
}

/** The values a prelude pins, parsed back with the templates that rendered them; null for any not found. */
export function readPins(prelude: string): { [K in keyof Pins]: Pins[K] | null } {
  const read = (name: PinName): string | null => {
    const [before, after] = PINS[name].text("\0").split("\0") as [string, string];
    const esc = (t: string): string => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return new RegExp(`${esc(before)}(${PINS[name].value})${esc(after)}`).exec(prelude)?.[1] ?? null;
  };
  const num = (name: PinName): number | null => {
    const v = read(name);
    return v === null ? null : Number(v.trim());
  };
  return {
    appId: read("appId"),
    indexSha256: read("indexSha256"),
    extractorOffset: num("extractorOffset"),
    extractorLength: num("extractorLength"),
    extractorSha256: read("extractorSha256"),
  };
}

function bootstrap(o: PreludeOptions): string {
  // Runs as `node -e` (CommonJS, `require` in scope). No single quotes: it sits inside '...' in sh.
  const js =
    `var f=require("fs"),a=process.argv[1]${pin("extractorLength", pad(o.extractorLength))}d=f.openSync(a,"r"),` +
    `${pin("extractorOffset", pad(o.extractorOffset))}f.closeSync(d);` +
    `if(n!==L||require("crypto").createHash("sha256").update(b)${pin("extractorSha256", o.extractorSha256)}` +
    `process.stderr.write("bale: "+a+": the archive is truncated or corrupt (its extractor is damaged). ` +
    `Fix: copy the archive again or rebuild it with bale pack.\\n");process.exit(1)}` +
    `var u=require("zlib").brotliDecompressSync(b),J=+u.toString("latin1",0,10);` +
    `require("vm").runInThisContext(u.toString("utf8",10,10+J),{filename:a+"[bale-extractor]"})(require,u.subarray(10+J))`;
  if (js.includes("'")) throw new Error("internal: bootstrap must not contain single quotes");
  return js;
}

/**
 * The markers in sh (paths.ts's MARKER and bootMarker):
 *  - `_bale_k DIR`: DIR is complete — its synced marker is there (one `test`, the warm path), or the
 *    marker of this boot, not yet synced (read only then: dash reads a file one byte per syscall);
 *  - `_bale_bid`: `_bale_b` = this boot's id, or empty where the kernel does not say;
 *  - `_bale_pm PATH`, before a first run publishes: `_bale_mk` = the marker to write, this boot's where
 *    the kernel gives a boot id, else the synced one after a sync of PATH's file system (none with
 *    BALE_NO_FSYNC=1);
 *  - `_bale_sy DIR`, after it published DIR under this boot's marker: a background job (its output and
 *    input detached, so nothing waits for it) that syncs DIR's file system, then renames the marker to
 *    the synced one — or removes it if the sync fails, so the next run extracts again. Killed before it
 *    ends, or with no `sync` command on the host, the marker stays this boot's: trusted until a restart,
 *    then extracted again. Nothing to do where `_bale_pm` found no boot id.
 */
const MARKERS =
  `_bale_bid() { _bale_b=; read -r _bale_b 2>/dev/null < ${BOOT_ID_FILE}; case $_bale_b in *[!0-9a-f-]*) _bale_b= ;; ????????-????-????-????-????????????) ;; *) _bale_b= ;; esac; }\n` +
  `_bale_k() { [ -f "$1/${MARKER}" ] && return; [ -n "\${_bale_b:-}" ] || _bale_bid; [ -n "$_bale_b" ] && [ -f "$1/${bootMarker("$_bale_b")}" ]; }\n` +
  `_bale_pm() { _bale_b=; [ "\${BALE_NO_FSYNC:-}" = 1 ] || { _bale_bid; [ -n "$_bale_b" ] || sync -f "$1" 2>/dev/null || sync; }; _bale_r=$?; _bale_mk=${MARKER}\${_bale_b:+-$_bale_b}; return $_bale_r; }\n` +
  `_bale_sy() { [ -n "$_bale_b" ] && command -v sync >/dev/null 2>&1 || return 0; ( if sync -f "$1" 2>/dev/null || sync; then mv -f "$1/${bootMarker("$_bale_b")}" "$1/${MARKER}"; else rm -f "$1/${bootMarker("$_bale_b")}"; fi ) </dev/null >/dev/null 2>&1 & }\n`;

/** The prelude's trap line: what a file cut short after it says. */
const TRAP =
  `{ trap 'echo "bale: $0: this archive is truncated (it ends inside its sh prelude). ` +
  `Fix: copy it again or rebuild it with bale pack. [archive-truncated]" >&2; exit 1' EXIT; }\n`;

export function renderPrelude(o: PreludeOptions): string {
  const nodeArgs = o.nodeOptions.map(shQuote).join(" ");
  const name = shMessageText(o.name);
  const range = shMessageText(o.node);
  // BALE_CONFIG_DIR_AUTO pairs BALE_CONFIG_DIR with "an archive set it": a value set by the user wins,
  // a value another archive set (this archive's parent process) is replaced by this archive's own.
  const config =
    `if [ -z "\${BALE_CONFIG_DIR+x}" ] || { [ -n "\${BALE_CONFIG_DIR_AUTO+x}" ] && [ "$BALE_CONFIG_DIR_AUTO" = "$BALE_CONFIG_DIR" ]; }; then\n` +
    (o.configDir === null
      ? `  unset BALE_CONFIG_DIR BALE_CONFIG_DIR_AUTO\n`
      : `  BALE_CONFIG_DIR="$_bale_d"/${shQuote(o.configDir)}; BALE_CONFIG_DIR_AUTO=$BALE_CONFIG_DIR; export BALE_CONFIG_DIR BALE_CONFIG_DIR_AUTO\n`) +
    `fi\n`;
  return (
    `#!/bin/sh\n` +
    TRAP +
    `{\n` +
    `trap - EXIT\n` +
    `# bale executable archive (format ${o.runtime === null ? 1 : 2}): ${name}\n` +
    `# Run it like the app itself. \`bale inspect\` / \`bale verify\` show and check what is inside.` +
    pin("appId", o.appId) +
    `case $0 in /*) BALE_ARCHIVE=$0 ;; *) BALE_ARCHIVE=$PWD/$0 ;; esac\n` +
    `export BALE_ARCHIVE\n` +
    `_bale_x() { echo "bale: $BALE_ARCHIVE: $1 [$2]" >&2; exit \${3:-1}; }\n` +
    MARKERS +
    // The cache root: the base (XDG_CACHE_HOME, else HOME) must be a directory we own (sudo -E keeps another user's).
    `_bale_h=; if [ -n "\${HOME:-}" ] && [ -d "$HOME" ] && [ -O "$HOME" ]; then _bale_h=1; fi\n` +
    `if [ -n "\${BALE_CACHE_DIR:-}" ]; then _bale_c=$BALE_CACHE_DIR\n` +
    `elif [ -n "\${XDG_CACHE_HOME:-}" ] && [ "\${XDG_CACHE_HOME#/}" != "$XDG_CACHE_HOME" ] && { { [ -d "$XDG_CACHE_HOME" ] && [ -O "$XDG_CACHE_HOME" ]; } || { [ ! -e "$XDG_CACHE_HOME" ] && [ -n "$_bale_h" ]; }; }; then _bale_c=$XDG_CACHE_HOME/bale\n` +
    `elif [ -n "$_bale_h" ]; then _bale_c=$HOME/.cache/bale\n` +
    `else\n` +
    `  _bale_u=\n` +
    `  if [ -r /proc/self/status ]; then while read -r _bale_k _bale_r _bale_v _bale_r; do if [ "$_bale_k" = Uid: ]; then _bale_u=$_bale_v; break; fi; done < /proc/self/status; fi\n` +
    `  [ -n "$_bale_u" ] || _bale_u=$(id -u 2>/dev/null) || _bale_u=\n` +
    `  [ -n "$_bale_u" ] || _bale_x "cannot tell your user id for a private cache directory (no usable HOME, no /proc, no id command). Fix: set BALE_CACHE_DIR to a directory you own." cache-no-home\n` +
    `  _bale_c=\${TMPDIR:-/tmp}/bale-$_bale_u\n` +
    `fi\n` +
    `case $_bale_c in /*) ;; *) _bale_c=$PWD/$_bale_c ;; esac\n` +
    `_bale_d=$_bale_c/${entryName(o.appId)}\n` +
    (o.runtime === null ? systemNode(o, name, range) : embeddedNode(o, o.runtime)) +
    config +
    `BALE_APP_DIR=$_bale_d; export BALE_APP_DIR\n` +
    `exec ${o.runtime === null ? "" : WRAP}"$_bale_np"${nodeArgs ? " " + nodeArgs : ""} -- "$_bale_d"/${shQuote(o.entry)} "$@"\n` +
    `exit 127\n` +
    `}\n`
  );
}

/** Runs on the host's node (format 1): find it on PATH or BALE_NODE; the stamp says it was checked. */
function systemNode(o: PreludeOptions, name: string, range: string): string {
  const boot = bootstrap(o); // first: it checks every value it pins
  return (
    // Find node without forking: BALE_NODE (a path, or a name looked up on PATH), else node on PATH.
    `_bale_n=\${BALE_NODE:-node}\n` +
    `case $_bale_n in\n` +
    `*/*) _bale_np=$_bale_n ;;\n` +
    `*) _bale_np=; _bale_i=$IFS; IFS=:; set -f\n` +
    `  for _bale_p in $PATH; do if [ -f "\${_bale_p:-.}/$_bale_n" ] && [ -x "\${_bale_p:-.}/$_bale_n" ]; then _bale_np=\${_bale_p:-.}/$_bale_n; break; fi; done\n` +
    `  IFS=$_bale_i; set +f ;;\n` +
    `esac\n` +
    `if [ -z "$_bale_np" ] || [ ! -f "$_bale_np" ] || [ ! -x "$_bale_np" ]; then\n` +
    `  if [ -n "\${BALE_NODE:-}" ]; then _bale_x "cannot run ${name}: BALE_NODE=$BALE_NODE is not an executable file. Fix: point BALE_NODE at a node binary (Node.js ${range})." node-missing 127\n` +
    `  else _bale_x "cannot run ${name}: node is not on PATH. Fix: install Node.js ${range}, or set BALE_NODE to a node binary." node-missing 127; fi\n` +
    `fi\n` +
    `_bale_ns=\n` +
    `if [ -O "$_bale_d" ] && [ ! -L "$_bale_d" ] && [ -O "$_bale_c" ] && [ ! -L "$_bale_c" ] && _bale_k "$_bale_d" && [ -f "$_bale_d"/${shQuote(o.entry)} ] && [ -f "$_bale_d/${NODE_STAMP}" ] && [ ! "$_bale_np" -nt "$_bale_d/${NODE_STAMP}" ]; then\n` +
    `  read -r _bale_ns < "$_bale_d/${NODE_STAMP}"\n` +
    `fi\n` +
    `if [ "$_bale_ns" != "$_bale_np" ]; then\n` +
    `  [ -f "$BALE_ARCHIVE" ] || _bale_x "cannot find the archive file itself ($0). Fix: run the archive as a file (./app or sh ./app), not from standard input." archive-not-a-file\n` +
    fastPath(o) +
    `  _bale_fx || NODE_OPTIONS= "$_bale_np" -e '${boot}' -- "$BALE_ARCHIVE" "$_bale_c"${pin("indexSha256", o.indexSha256)}"$_bale_np" || exit\n` +
    `fi\n`
  );
}

/**
 * BALE_EXEC_WRAPPER: a program (one path) every binary of a runtime archive is run through — the
 * decoder, node for the extractor and node for the app. For emulators: an arm64 archive runs on an x64
 * host with BALE_EXEC_WRAPPER=qemu-aarch64-static (and QEMU_LD_PREFIX) where binfmt_misc is not set up.
 */
const WRAP = '${BALE_EXEC_WRAPPER:+"$BALE_EXEC_WRAPPER"} ';

/**
 * Runs on the archive's own runtime (format 2), shared by every archive that embeds the same binary:
 * `<cache>/runtimes/<sha256 of node>/node`, complete when its marker exists (renamed in last; the
 * directory is named by the hash, so the marker's contents are for `bale cache list`, not read here). Warm
 * path: two `test -f`, no read, no fork. Cold path, when the runtime is missing (no node anywhere is assumed): copy the
 * decoder segment out with tail|head, check its sha256 with sha256sum against the hash pinned here,
 * run it on the runtime segment (it checks that segment's pinned sha256 before writing a byte), then
 * publish node and its marker with rename(2) — concurrent first runs each decode into their own temp
 * file and rename identical bytes, so no lock is needed. Then the JS extractor runs on that node.
 */
function embeddedNode(o: PreludeOptions, rt: PreludeRuntime): string {
  const boot = bootstrap(o); // first: it checks every value it pins
  const meta = JSON.stringify({ version: rt.info.version, platform: rt.info.platform, size: rt.info.size });
  if (meta.includes("'")) throw new Error("internal: runtime metadata must not contain single quotes");
  const unwritable = `_bale_x "cannot write the Node.js runtime into $_bale_rd. Fix: set BALE_CACHE_DIR to a directory on a file system with room that you can write." cache-unwritable`;
  return (
    `_bale_rd=$_bale_c/${RUNTIMES}/${rt.info.sha256}\n` +
    `_bale_np=$_bale_rd/node\n` +
    `_bale_ok=; _bale_rok=\n` +
    `if [ -O "$_bale_c" ] && [ ! -L "$_bale_c" ]; then\n` +
    `  if [ -O "$_bale_rd" ] && [ ! -L "$_bale_rd" ] && [ ! -L "$_bale_c/${RUNTIMES}" ] && _bale_k "$_bale_rd" && [ -f "$_bale_np" ]; then _bale_rok=1; fi\n` +
    `  if [ -O "$_bale_d" ] && [ ! -L "$_bale_d" ] && _bale_k "$_bale_d" && [ -f "$_bale_d"/${shQuote(o.entry)} ]; then _bale_ok=1; fi\n` +
    `fi\n` +
    `if [ -z "$_bale_ok" ] || [ -z "$_bale_rok" ]; then\n` +
    `  [ -f "$BALE_ARCHIVE" ] || _bale_x "cannot find the archive file itself ($0). Fix: run the archive as a file (./app or sh ./app), not from standard input." archive-not-a-file\n` +
    `  if [ -z "$_bale_rok" ]; then\n` +
    // An archive for another machine is said so before anything runs (uname is optional: without it the kernel refuses later).
    `    _bale_m=$(uname -m 2>&-) || _bale_m=\n` +
    `    [ -z "$_bale_m" ] || [ "$_bale_m" = ${rt.info.platform === "linux-arm64" ? "aarch64" : "x86_64"} ] || [ -n "\${BALE_EXEC_WRAPPER:-}" ] || _bale_x "this archive is for ${rt.info.platform} and this host is $_bale_m. Fix: run it on a ${rt.info.platform} host, or through an emulator with BALE_EXEC_WRAPPER (e.g. qemu-${rt.info.platform === "linux-arm64" ? "aarch64" : "x86_64"}-static), or pack it again with --target for this host." wrong-platform\n` +
    // One level at a time, each checked before anything is created inside it: never through a link.
    `    for _bale_p in "$_bale_c" "$_bale_c/${RUNTIMES}" "$_bale_rd"; do\n` +
    `      if [ ! -e "$_bale_p" ] && [ ! -L "$_bale_p" ]; then\n` +
    `        if [ "$_bale_p" = "$_bale_c" ]; then (umask 077; mkdir -p "$_bale_p") 2>&- || ${unwritable}; else (umask 077; mkdir "$_bale_p") 2>&- || [ -d "$_bale_p" ] || ${unwritable}; fi\n` +
    `      fi\n` +
    `      if [ -L "$_bale_p" ] || [ ! -O "$_bale_p" ]; then _bale_x "refusing to use the cache directory $_bale_p: it is a symlink or not yours. Fix: remove it (bale recreates it safely) or set BALE_CACHE_DIR to a private directory you own." cache-unsafe; fi\n` +
    `    done\n` +
    `    case $(ls -ld "$_bale_c") in ?????w*|????????w*) _bale_x "refusing to use the cache directory $_bale_c: it is writable by group or others. Fix: run chmod 700 $_bale_c, or set BALE_CACHE_DIR to a private directory you own." cache-unsafe ;; esac\n` +
    `    _bale_t=$_bale_rd/.tmp-$$\n` +
    `    trap 'rm -f "$_bale_t" "$_bale_t.unzstd" "$_bale_t.ok"; exit 130' INT TERM HUP\n` +
    `    rm -f "$_bale_t" "$_bale_t.unzstd" "$_bale_t.ok"\n` +
    `    tail -c +${pad0(rt.decoder.offset + 1)} "$BALE_ARCHIVE" | head -c ${pad0(rt.decoder.length)} > "$_bale_t.unzstd" || ${unwritable}\n` +
    `    _bale_s=$(sha256sum < "$_bale_t.unzstd" 2>&-) || { rm -f "$_bale_t.unzstd"; _bale_x "cannot check the archive's runtime decoder: the sha256sum command is missing. Fix: install coreutils (or busybox)." tool-missing; }\n` +
    `    if [ "\${_bale_s%% *}" != ${rt.decoder.sha256} ]; then rm -f "$_bale_t.unzstd"; _bale_x "the archive is truncated or corrupt (its runtime decoder is damaged). Fix: copy the archive again or rebuild it with bale pack." archive-corrupt; fi\n` +
    `    chmod 700 "$_bale_t.unzstd"\n` +
    `    ${WRAP}"$_bale_t.unzstd" "$BALE_ARCHIVE" ${pad0(rt.segment.offset)} ${pad0(rt.segment.length)} ${rt.segment.sha256} "$_bale_t"; _bale_e=$?\n` +
    `    rm -f "$_bale_t.unzstd"\n` +
    `    if [ $_bale_e -ne 0 ]; then\n` +
    `      rm -f "$_bale_t"\n` +
    `      [ $_bale_e -ne 126 ] || _bale_x "cannot run programs from the cache directory $_bale_c (is it on a noexec mount?). Fix: set BALE_CACHE_DIR to a directory on a file system that allows executables." cache-noexec\n` +
    `      exit 1\n` +
    `    fi\n` +
    // Published unsynced under this boot's marker, synced in the background (see MARKERS); where the
    // kernel gives no boot id, synced first.
    `    _bale_pm "$_bale_t"\n` +
    `    mv -f "$_bale_t" "$_bale_np" && printf '%s\\n%s\\n' ${rt.info.sha256} '${meta}' > "$_bale_t.ok" && mv -f "$_bale_t.ok" "$_bale_rd/$_bale_mk" || ${unwritable}\n` +
    `    _bale_sy "$_bale_rd"\n` +
    `    trap - INT TERM HUP\n` +
    `  fi\n` +
    fastPath(o) +
    `  _bale_fx || NODE_OPTIONS= ${WRAP}"$_bale_np" -e '${boot}' -- "$BALE_ARCHIVE" "$_bale_c"${pin("indexSha256", o.indexSha256)}|| exit\n` +
    `fi\n`
  );
}

/**
 * The sh fast path of a cold start, as the function `_bale_fx`: a subshell (its umask, cwd, traps and
 * positional parameters stay its own) that exits 0 once it has published the entry `$_bale_d`, and 1,
 * having removed everything it made, wherever it declines. See the file comment; every step mirrors
 * the extractor (src/runtime-stub/extractor.ts), and a test extracts each archive both ways and compares
 * the trees (types, sizes, modes, bytes, links, marker, file list, stamp).
 *
 * Modes: tar runs under the caller's umask with --no-same-permissions (root too), as the extractor
 * creates files; -m leaves mtimes to the clock, as the extractor does; -o keeps the caller's ownership.
 * A tar without these options (a busybox built without long options) fails at once, and the extractor runs.
 */
function fastPath(o: PreludeOptions): string {
  if (!o.fastPath) return `  _bale_fx() { return 1; }\n`;
  const marker = markerText({ appId: o.appId, name: o.name, entry: o.entry, bale: o.bale, ...(o.runtime ? { runtime: o.runtime.info.sha256 } : {}) }).split("\n")[1] as string;
  const range = (offset: number, length?: number): string => `tail -c +${pad0(offset + 1)} "$A"${length === undefined ? "" : ` | head -c ${pad0(length)}`}`;
  const seg = range(o.payloadOffset, o.payloadLength);
  const tag = CACHEDIR_TAG.split("\n").slice(0, -1).map(shQuote).join(" ");
  const version =
    o.runtime !== null
      ? "" // the embedded runtime's version was checked against the range at pack time
      : `  v=$(NODE_OPTIONS= "$_bale_np" --version 2>/dev/null) || exit 1\n` +
        `  v=\${v#v}; M=\${v%%.*}; v=\${v#*.}; m=\${v%%.*}; p=\${v#*.}\n` +
        `  for a in "$M" "$m" "$p"; do case $a in ''|*[!0-9]*|????*|0?*) exit 1 ;; esac; done\n` +
        `  K=$((M * 1000000 + m * 1000 + p))\n` +
        `  if ${rangeToSh(o.node)}; then :; else exit 1; fi\n`;
  // A subshell: its short variable names, umask, cwd, traps and positional parameters stay its own.
  const body =
    `[ "\${BALE_EXTRACTOR:-}" != node ] && [ -r /proc/self/stat ] || exit 1\n` +
    `for a in zstd tar sha256sum tail head; do command -v $a >/dev/null 2>&1 || exit 1; done\n` +
    // The cache root, as ensureCacheRoot makes and checks it: ours, no symlink, not writable by group or others.
    `c=$_bale_c; n=\n` +
    `if [ ! -e "$c" ] && [ ! -L "$c" ]; then (umask 077; mkdir -p "$c") 2>/dev/null || exit 1; n=1; fi\n` +
    `[ -d "$c" ] && [ ! -L "$c" ] && [ -O "$c" ] || exit 1\n` +
    `[ -n "$n" ] || case $(ls -ld "$c" 2>/dev/null) in ?????w*|????????w*|'') exit 1 ;; esac\n` +
    // (A cut-short tag is harmless: it only marks the directory for backup tools.)
    `[ -e "$c/${CACHEDIR_TAG_NAME}" ] || (umask 077; set -C; printf '%s\\n' ${tag} > "$c/${CACHEDIR_TAG_NAME}") 2>/dev/null\n` +
    // The extractor's lock, with a token it can judge ("<pid> <start time>" of this subshell, from /proc/self).
    `read -r r < /proc/self/stat || exit 1\n` +
    `i=\${r%% *}; set -f; set -- \${r##*) }; set +f\n` +
    `l=$c/$_bale_id.lock; w=$c/${workPrefix("$_bale_id")}$i-sh\n` +
    `set -C; { echo "$i \${20:--}" > "$l"; } 2>/dev/null; a=$?; set +C\n` +
    `[ $a -eq 0 ] || exit 1\n` +
    `trap 'wait; rm -rf "$w" "$l"; exit 130' INT TERM HUP\n` +
    `q() { wait; rm -rf "$w" "$l"; exit 1; }\n` +
    // Under the lock, as the extractor's cleanStale: work dirs and trash of this app whose process is gone.
    `for a in "$c"/${workPrefix("$_bale_id")}* "$c"/${trashPrefix("$_bale_id")}*; do r=\${a##*-$_bale_id-}; r=\${r%%-*}; case $r in ''|*[!0-9]*) ;; *) [ -d /proc/$r ] || rm -rf "$a" ;; esac; done\n` +
    `[ ! -e "$_bale_d" ] && [ ! -L "$_bale_d" ] && mkdir -m 700 "$w" 2>/dev/null || q\n` +
    // In the background, node's version against the range and the sha256 of the small segments the extractor
    // checks (itself, the index with its trailer); meanwhile zstd | tar, each one's exit status reported on
    // fd 3. The payload's integrity is zstd's: its frame carries a checksum of the content, which zstd -d
    // verifies. A damaged archive runs no app code either way.
    `A=$BALE_ARCHIVE\n` +
    `(\n` +
    version +
    `  r=$(${range(o.extractorOffset, o.extractorLength)} | sha256sum) && [ "\${r%% *}" = ${o.extractorSha256} ] || exit 1\n` +
    `  r=$(${range(o.payloadOffset + o.payloadLength)} | sha256sum) && [ "\${r%% *}" = ${o.tailSha256} ] || exit 1\n` +
    `) </dev/null >/dev/null 2>&1 &\n` +
    `p=$!\n` +
    `r=$({ { ${seg} | zstd -dcq; echo z$? >&3; } | tar -xmo --no-same-permissions -f - -C "$w"; echo t$?; } 3>&1 2>/dev/null </dev/null)\n` +
    `wait $p && case $r in z0?t0|t0?z0) ;; *) false ;; esac || q\n` +
    // The file list is packed executable (0755): on a noexec mount access(X_OK) refuses it, as the extractor's
    // probe finds (native addons cannot load there, and the extractor says so).
    `[ -f "$w"/${shQuote(o.entry)} ] && [ -x "$w/${FILES}" ] && [ ! -e "$w/${MARKER}" ] || q\n` +
    // The stamp as writeFileAtomic writes it (0644 whatever the umask), the marker as the extractor does (0600).
    (o.runtime === null ? `umask 022; printf '%s\\n' "$_bale_np" > "$w/${NODE_STAMP}" || q\n` : "") +
    // Published unsynced under this boot's marker and synced in the background (see MARKERS): what the
    // kernel has not written yet it serves from memory until a crash, after which the boot id differs.
    `_bale_pm "$w" || q\n` +
    `umask 077; printf '%s\\n%s\\n' "$_bale_id" ${shQuote(marker)} > "$w/$_bale_mk" || q\n` +
    `mv "$w" "$_bale_d" 2>/dev/null || q\n` +
    `rm -f "$l"\n` +
    `_bale_sy "$_bale_d"\n` +
    `[ "\${BALE_TRACE:-}" != 1 ] || echo "bale: extracted ${shMessageText(o.name)} with zstd and tar into $_bale_d" >&2\n`;
  return `  _bale_fx() (\n${body.replace(/^/gm, "  ")})\n`;
}

/** The prelude an index (its JSON bytes) implies: what `bale pack` wrote, and what `bale verify` compares byte for byte. */
export function preludeForIndex(index: ArchiveIndex, indexBytes: Buffer): string {
  const indexSha256 = sha256(indexBytes);
  return renderPrelude({
    name: index.name,
    appId: index.appId,
    entry: index.entry,
    node: index.node,
    nodeOptions: index.nodeOptions,
    configDir: index.configDir,
    extractorOffset: index.segments.extractor.offset,
    extractorLength: index.segments.extractor.length,
    extractorSha256: index.segments.extractor.sha256,
    payloadOffset: index.segments.payload.offset,
    payloadLength: index.segments.payload.length,
    bale: index.build.bale,
    tailSha256: sha256(Buffer.concat([indexBytes, encodeTrailer(indexBytes.length)])),
    fastPath: index.payload.checksum === true,
    indexSha256,
    runtime:
      index.runtime && index.segments.decoder && index.segments.runtime
        ? { info: index.runtime, decoder: index.segments.decoder, segment: index.segments.runtime }
        : null,
  });
}
