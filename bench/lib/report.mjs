// Renders bench results as Markdown (bench/results.md) and a hand-written SVG bar chart (bench/results.svg).
import { corpusMarkdown } from "../corpus.mjs";

const ms = (x) => (x === undefined || x === null ? "—" : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(x < 10 ? 1 : 0)} ms`);
const mb = (b) => (b === undefined ? "—" : b >= 1e6 ? `${(b / 1e6).toFixed(2)} MB` : `${(b / 1e3).toFixed(1)} kB`);
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}×` : "—");
const range = (s) => (s && !s.error ? `${ms(s.median)} (${ms(s.min)}–${ms(s.max)})` : s?.error ? "failed" : "—");
const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\|/g, "\\|");
const NO_CACHE = new Set(["node", "sea", "bun"]);

/** The number shown as a contender's first run: its cold median, or its warm one when it has no cache. */
export function firstRun(r, id) {
  if (r.cold && !r.cold.error) return { value: r.cold.median, stat: r.cold, noCache: false };
  if (NO_CACHE.has(id) && r.warm && !r.warm.error) return { value: r.warm.median, stat: r.warm, noCache: true };
  return null;
}

function genericTable(value) {
  if (typeof value === "string") return value;
  if (value && typeof value.markdown === "string") return value.markdown;
  const rows = Array.isArray(value) ? value : Array.isArray(value?.rows) ? value.rows : null;
  if (rows && rows.length && typeof rows[0] === "object") {
    const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    const cell = (v) => (typeof v === "number" ? (Number.isInteger(v) ? String(v) : v.toFixed(1)) : esc(typeof v === "object" ? JSON.stringify(v) : v ?? ""));
    return [`| ${cols.join(" | ")} |`, `| ${cols.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${cols.map((c) => cell(r[c])).join(" | ")} |`)].join("\n");
  }
  if (value && typeof value === "object") {
    // { scalar: x, name: { field: n, ... }, ... }: scalars as a line, nested objects as table rows.
    const scalars = Object.entries(value).filter(([, v]) => v === null || typeof v !== "object");
    const nested = Object.entries(value).filter(([, v]) => v && typeof v === "object" && !Array.isArray(v));
    const fmt = (v) => (typeof v === "number" ? (Number.isInteger(v) ? String(v) : v.toFixed(3)) : esc(String(v)));
    const parts = [];
    if (scalars.length) parts.push(scalars.map(([k, v]) => `${k}: **${fmt(v)}**`).join("; "));
    if (nested.length) parts.push(genericTable(nested.map(([k, v]) => ({ "": k, ...v }))));
    const arrays = Object.entries(value).filter(([, v]) => Array.isArray(v));
    for (const [k, v] of arrays) parts.push(`${k}:`, genericTable(v));
    if (parts.length) return parts.join("\n\n");
  }
  return "```json\n" + JSON.stringify(value, null, 2) + "\n```";
}

export function renderMarkdown(d) {
  const L = [];
  const { machine: m, versions: v, N } = d;
  L.push(`# bale benchmark results${d.quick ? " (QUICK smoke run: few runs, not for quoting)" : ""}`, "");
  L.push(`Reproduce: \`npm ci && npm run bench\` (about ${Math.ceil(d.totalS / 60)} minutes on this machine; \`node bench/run.mjs --quick\` for a smoke run). What each number means: [docs/bench.md](../docs/bench.md); summary in the README's Performance section.`, "");
  L.push("## Machine and versions", "");
  L.push(`- Date: ${m.date}`);
  L.push(`- CPU: ${m.cpu}, ${m.cores} cores; RAM ${m.ramGiB.toFixed(1)} GiB; ${m.kernel}`);
  L.push(`- Node: ${Object.entries(v.node).map(([k, x]) => `${x}${k === "20" ? " (host; runs the node floor, SEA, caxa and bale by default)" : ""}`).join(", ")}`);
  L.push(`- bale ${v.bale}; bun ${v.bun ?? "(skipped)"}; postject ${v.postject ?? "(skipped)"} for Node SEA; caxa ${v.caxa ?? "(skipped)"}; ${v.zstd ?? "no zstd CLI"}`);
  L.push(`- Harness: ${v.harness}. Processes are spawned directly (no shell) with NODE_EXTRA_CA_CERTS and NODE_OPTIONS removed; contenders run in interleaved rounds (A B C A B C …); medians with (min–max).`);
  L.push(`- Runs: warm start ${N.warmup} warm-ups + ${N.warm} runs; cold first run 1 warm-up + ${N.cold} runs (big app ${N.coldBig}); build ${N.build} runs; hello prelude overhead ${N.goalWarm} runs.`);
  L.push(`- Total bench time: ${d.totalS.toFixed(0)} s.`, "");
  L.push("## Inputs", "");
  L.push("| app | what runs | files | unpacked size |", "| --- | --- | ---: | ---: |");
  for (const a of d.apps) L.push(`| ${a.id} | ${esc(a.title)}${a.kind === "http" ? ": time until `GET /` answers 200" : `: \`${a.args.join(" ")}\``} | ${a.inputFiles} | ${mb(a.inputBytes)} |`);
  L.push("");

  L.push("## Start time, size and build time", "");
  L.push("Ratios are against the `node` floor's warm median (plain `node` on the unpacked app). *First run* = a fresh empty cache per run (bale: `BALE_CACHE_DIR`; caxa: `TMPDIR`); node, SEA and bun have no cache, so their first run is their warm run (marked †). Size of `node` = the unpacked app.", "");
  L.push("| app | contender | warm start, median (min–max) | × node | first run, median (min–max) | × node | size | pack/build time |");
  L.push("| --- | --- | --- | ---: | --- | ---: | ---: | ---: |");
  for (const a of d.apps) {
    const R = d.results[a.id];
    const floor = R.node?.warm?.median;
    for (const c of d.contenders) {
      const r = R[c.id];
      if (!r) continue;
      if (r.error) {
        L.push(`| ${a.id} | ${c.label} | skipped: ${esc(r.error.slice(0, 120))} | | | | | |`);
        continue;
      }
      const f = firstRun(r, c.id);
      L.push(
        `| ${a.id} | ${c.label} | ${range(r.warm)} | ${ratio(r.warm?.median, floor)} | ${f ? range(f.stat) + (f.noCache ? " †" : "") : "—"} | ${ratio(f?.value, floor)} | ${mb(r.size)} | ${r.build ? ms(r.build.median) : "—"} |`,
      );
    }
  }
  L.push("");

  L.push("## The packer's goals (issue 2)", "");
  L.push("| goal | measured | target | result |", "| --- | --- | --- | --- |");
  const g = d.goals;
  if (g.warm && !g.warm.bale?.error && !g.warm.nodeSameOptions?.error) {
    const r = g.warm.bale.median / g.warm.nodeSameOptions.median;
    L.push(`| warm start of hello vs \`node ${esc(d.bale.hello.index.nodeOptions.join(" "))} <extracted entry>\` | ${ms(g.warm.bale.median)} vs ${ms(g.warm.nodeSameOptions.median)} = **${r.toFixed(3)}×** (${g.warm.bale.n} interleaved runs) | ≤ 1.03× | ${r <= 1.03 ? "PASS" : "MISS"} |`);
  } else L.push("| warm start of hello | not measured | ≤ 1.03× | — |");
  if (g.cold && !g.cold.bale22?.error && !g.cold.zstdtar?.error) {
    const r = g.cold.bale22.median / g.cold.zstdtar.median;
    const extra = g.cold.warm22 && !g.cold.warm22.error ? `; extraction alone (first run − warm run) ${ms(g.cold.bale22.median - g.cold.warm22.median)} = ${((g.cold.bale22.median - g.cold.warm22.median) / g.cold.zstdtar.median).toFixed(2)}×` : "";
    L.push(`| first run of ${esc(g.bigApp)}, empty cache, Node 22, vs \`zstd -dc \\| tar -x\` of its payload | ${ms(g.cold.bale22.median)} vs ${ms(g.cold.zstdtar.median)} = **${r.toFixed(2)}×**${extra} | ≤ 1.5× | ${r <= 1.5 ? "PASS" : "MISS"} |`);
  } else L.push("| first run of the big app vs zstd \\| tar | not measured | ≤ 1.5× | — |");
  if (g.size) {
    const r = g.size.archive / g.size.tgz;
    L.push(`| archive size of ${esc(g.bigApp)} vs \`tar czf\` of its extracted payload (${g.size.files} files, ${mb(g.size.unpacked)}) | ${mb(g.size.archive)} vs ${mb(g.size.tgz)} = **${r.toFixed(3)}×** | ≤ 0.75× | ${r <= 0.75 ? "PASS" : "MISS"} |`);
  } else L.push("| archive size vs tar czf | not measured | ≤ 0.75× | — |");
  L.push("");

  L.push("## bale: zstd level, Node majors, prelude overhead", "");
  L.push("| app | size at level 12 (default) | size at level 19 | 19 / 12 | pack time 12 | pack time 19 | unpacked payload |");
  L.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const a of d.apps) {
    const B = d.bale[a.id];
    if (!B) continue;
    const l19 = B.level19 ?? {};
    L.push(`| ${a.id} | ${mb(B.size)} | ${l19.error ? "failed" : mb(l19.size)} | ${ratio(l19.size, B.size)} | ${ms(d.results[a.id].bale.build?.median)} | ${ms(l19.build)} | ${B.index.payload.files} files, ${mb(B.index.payload.unpackedSize)} |`);
  }
  L.push("");
  const majors = Object.keys(d.versions.node);
  L.push("First run (empty cache) and warm start of the bale archive on each Node major (`BALE_NODE`). A first run extracts with the host's zstd and tar from the sh prelude (the fast path); *node extractor* is the same first run with `BALE_EXTRACTOR=node`, as on a host without them: Node 20 decodes with zstd's own decompressor compiled to WebAssembly, Node 22/24 with the built-in zstd. Medians (min–max).", "");
  L.push(`| app | ${majors.map((k) => `first run, Node ${k}`).join(" | ")} | ${majors.map((k) => `node extractor, Node ${k}`).join(" | ")} | ${majors.map((k) => `warm, Node ${k}`).join(" | ")} |`);
  L.push(`| --- | ${majors.map(() => "---").join(" | ")} | ${majors.map(() => "---").join(" | ")} | ${majors.map(() => "---").join(" | ")} |`);
  for (const a of d.apps) {
    const P = d.bale[a.id]?.perNode;
    if (!P) continue;
    L.push(`| ${a.id} | ${majors.map((k) => range(P[`cold${k}`])).join(" | ")} | ${majors.map((k) => range(P[`coldx${k}`])).join(" | ")} | ${majors.map((k) => range(P[`warm${k}`])).join(" | ")} |`);
  }
  for (const a of d.apps) {
    const P = d.bale[a.id]?.perNode;
    if (P?.cold22nofsync && !P.cold22nofsync.error) {
      L.push("", `Cost of the sync on the ${a.id} first run (Node 22): ${ms(P.cold22.median)} with the sync vs ${ms(P.cold22nofsync.median)} with \`BALE_NO_FSYNC=1\` (${ms(P.cold22.median - P.cold22nofsync.median)}).`);
    }
  }
  L.push("");
  L.push("Warm start of the archive vs node on its extracted entry (same node binary): what the `#!/bin/sh` prelude and the index's node options cost.", "");
  L.push("| app | bale archive | node + index nodeOptions on the entry | ratio | node on the entry, no options | ratio |", "| --- | --- | --- | ---: | --- | ---: |");
  for (const a of d.apps) {
    const O = d.bale[a.id]?.overhead;
    if (!O) continue;
    L.push(`| ${a.id} | ${range(O.bale)} | ${range(O.nodeSameOptions)} | ${ratio(O.bale?.median, O.nodeSameOptions?.median)} | ${range(O.nodePlain)} | ${ratio(O.bale?.median, O.nodePlain?.median)} |`);
  }
  L.push("");

  if (d.corpus) L.push(corpusMarkdown(d.corpus));

  L.push("## Config compiler", "");
  if (d.configBench.skipped) L.push(`skipped: ${esc(d.configBench.skipped)}`);
  else L.push(`From \`bench/${d.configBench.file}\` (${ms(d.configBench.ms)} in all):`, "", genericTable(d.configBench.value));
  L.push("", "## Bindings", "");
  if (d.bindingsBench.skipped) L.push(`skipped: ${esc(d.bindingsBench.skipped)}`);
  else L.push(`From \`bench/${d.bindingsBench.file}\` (${ms(d.bindingsBench.ms)} in all):`, "", genericTable(d.bindingsBench.value));
  L.push("");

  L.push("## Notes", "");
  L.push("- SEA and caxa embed the host Node 20 binary; bun embeds its own runtime (not Node). bale archives hold no runtime: they run on the `node` on PATH (or `BALE_NODE`).");
  L.push("- SEA gets the app bundled by esbuild into one CommonJS file first (SEA's `require` sees only built-ins); that bundle step is part of its build time. caxa is run with `--no-dedupe` (the inputs are already flat installs) and extracts into `$TMPDIR/caxa/applications/<id>/`; its stub reads its whole executable (including the embedded node) on every run.");
  L.push("- \"Cold\" means an empty application cache, not an empty OS page cache (dropping that needs root); `sync` runs, untimed, before every first-run sample so the previous sample's writeback does not land on it.");
  if (d.skipped.length) {
    L.push("", "## Skipped", "");
    for (const s of d.skipped) L.push(`- ${esc(s.what)}: ${esc(s.reason)}`);
  }
  L.push("");
  return L.join("\n");
}

const COLORS = { node: "#8c8c8c", bale: "#1f77b4", sea: "#e07b39", bun: "#d4a017", caxa: "#4c9a52" };

export function renderSvg(d) {
  const W = 980;
  const labelW = 170;
  const barMax = 600;
  const barH = 13;
  const gap = 3;
  const out = [];
  let y = 0;
  const text = (x, yy, s, attrs = "") => out.push(`<text x="${x}" y="${yy}" ${attrs}>${esc(s)}</text>`);
  y += 28;
  text(16, y, `bale vs its peers — ${d.machine.cpu}, ${d.machine.cores} cores, Node ${d.versions.node["20"] ?? ""}${d.quick ? " (QUICK run)" : ""}`, 'font-size="17" font-weight="bold"');
  y += 20;
  text(16, y, `Medians (${d.N.warm} warm runs, ${d.N.cold} first runs). Shorter is better. Each app group has its own scale. † no cache: first run = warm run.`, 'font-size="12" fill="#444"');
  y += 22;
  let lx = 16;
  for (const c of d.contenders) {
    out.push(`<rect x="${lx}" y="${y - 10}" width="12" height="12" fill="${COLORS[c.id]}"/>`);
    text(lx + 16, y, c.label, 'font-size="12"');
    lx += 30 + c.label.length * 7;
  }
  y += 12;
  const panels = [
    { title: "Warm start (ms)", get: (r) => (r.warm && !r.warm.error ? { v: r.warm.median, s: ms(r.warm.median) } : null) },
    {
      title: "First run, empty cache (ms)",
      get: (r, id) => {
        const f = firstRun(r, id);
        return f ? { v: f.value, s: ms(f.value) + (f.noCache ? " †" : ""), faint: f.noCache } : null;
      },
    },
    { title: "File size (MB; node = the unpacked app)", get: (r) => (r.size ? { v: r.size, s: mb(r.size) } : null) },
    { title: "Pack / build time", get: (r) => (r.build ? { v: r.build.median, s: ms(r.build.median) } : null) },
  ];
  for (const p of panels) {
    y += 30;
    text(16, y, p.title, 'font-size="15" font-weight="bold"');
    y += 8;
    for (const a of d.apps) {
      const R = d.results[a.id];
      const rows = d.contenders.map((c) => ({ c, r: R[c.id] && !R[c.id].error ? p.get(R[c.id], c.id) : null })).filter((x) => x.r);
      if (!rows.length) continue;
      const max = Math.max(...rows.map((x) => x.r.v));
      y += 16;
      text(16, y, a.id, 'font-size="13" font-weight="bold" fill="#222"');
      y += 4;
      for (const { c, r } of rows) {
        const w = Math.max(1, (r.v / max) * barMax);
        out.push(`<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${COLORS[c.id]}"${r.faint ? ' fill-opacity="0.45"' : ""}/>`);
        text(labelW - 8, y + barH - 2, c.label, 'font-size="11" text-anchor="end" fill="#333"');
        text((labelW + w + 6).toFixed(1), y + barH - 2, r.s, 'font-size="11" fill="#111"');
        y += barH + gap;
      }
    }
  }
  y += 24;
  text(16, y, `bench/results.md has the tables (min–max, ratios, packer goals). Generated ${d.machine.date} by npm run bench.`, 'font-size="11" fill="#666"');
  y += 12;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y}" viewBox="0 0 ${W} ${y}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif">\n` +
    `<rect width="100%" height="100%" fill="#fff"/>\n` +
    out.join("\n") +
    "\n</svg>\n"
  );
}
