// Self time of a V8 CPU profile, by source and by function, per request:
//
//   node worker/test/bench/isolate/selftime.mjs PROFILE N [BUNDLE]
//
// PROFILE is a .cpuprofile (from `node --cpu-prof harness.mjs ...`, or from
// workerd through profile.mjs); N the requests it covers; BUNDLE, for a
// workerd profile, the worker.js wrangler bundled (.wrangler/tmp/dev-*/),
// whose "// build/glue.js"-style markers attribute its lines to files.
// TinyGo's GC functions are counted apart as "wasm GC". TOP=n: more rows.
import fs from "node:fs";
import { fileURLToPath } from "node:url";

// selfTime prints profile p's self time per request over n requests; bundle
// (or "") is wrangler's worker.js, to attribute its lines to files.
export function selfTime(p, n, bundle) {
  const marks = [];
  if (bundle) fs.readFileSync(bundle, "utf8").split("\n").forEach((l, i) => { const m = l.match(/^\/\/ (\S+\.(m?js|ts))$/); if (m) marks.push([i, m[1].replace(/.*\//, "")]); });
  const fileOf = (line) => { let f = "worker.js"; for (const [i, name] of marks) if (line >= i) f = name; return f; };
  const dt = new Map();
  for (let i = 0; i < p.samples.length; i++) dt.set(p.samples[i], (dt.get(p.samples[i]) || 0) + (p.timeDeltas[i] || 0));
  const byFn = new Map(), byCat = new Map();
  let total = 0;
  for (const node of p.nodes) {
    const t = dt.get(node.id) || 0;
    const f = node.callFrame;
    const name = f.functionName || "(anon)";
    if (name === "(idle)") continue;
    total += t;
    const url = f.url || "";
    let cat = url.startsWith("wasm") ? "wasm" : url.endsWith("worker.js") ? fileOf(f.lineNumber) : url ? url.replace(/.*\//, "") : name.startsWith("(") ? name : "native";
    if (cat === "wasm" && /^runtime\.(markRoot|scanConservative|alloc|runGC|finishMark|markRoots|startMark|sweep|insertFreeRange|buildFreeRanges|findHead|gcBlock)|gcBlock|^runtime\.(markStack|mark|scan)/.test(name)) cat = "wasm GC";
    byCat.set(cat, (byCat.get(cat) || 0) + t);
    const key = `${cat} ${name}${url.endsWith("worker.js") ? ":" + (f.lineNumber + 1) : ""}`;
    byFn.set(key, (byFn.get(key) || 0) + t);
  }
  console.log(`busy ${(total / 1000).toFixed(0)} ms = ${(total / 1000 / n).toFixed(3)} ms/req`);
  for (const [c, t] of [...byCat].sort((a, b) => b[1] - a[1])) console.log(`  ${(100 * t / total).toFixed(1).padStart(5)}%  ${(t / 1000 / n).toFixed(3)} ms/req  ${c}`);
  console.log("top functions (self):");
  for (const [c, t] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP || 45))) console.log(`  ${(100 * t / total).toFixed(1).padStart(5)}%  ${(t / 1000 / n).toFixed(3)}  ${c}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, n, bundle] = process.argv.slice(2);
  selfTime(JSON.parse(fs.readFileSync(file)), Number(n), bundle);
}
