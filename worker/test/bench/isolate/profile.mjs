// A V8 CPU profile of the worker in workerd, under load:
//
//   make dev INSPECTOR_PORT=9229   (or any wrangler dev with --inspector-port)
//   node worker/test/bench/isolate/profile.mjs http://127.0.0.1:8787 9229 ROUTE N OUT.cpuprofile
//
// ROUTE: jwks | list | message | contacts | auth. It makes an org with the
// admin token of .dev.vars, sends 300 requests to warm up, then profiles N
// more (4 clients) through wrangler's inspector (the ws package: wrangler's
// proxy refuses Node's own WebSocket) and prints the self time by source and
// function (selftime.mjs), with the bundle of .wrangler/tmp when run where
// wrangler dev runs.
// Build the worker without -no-debug for function names. See selftime.mjs.
import fs from "node:fs";
import WebSocket from "ws";
import { world } from "./routes.mjs";
import { selfTime } from "./selftime.mjs";
const [base, iport, route, nStr, out] = process.argv.slice(2);
const N = Number(nStr);
const admin = fs.readFileSync(".dev.vars", "utf8").match(/^ADMIN_TOKEN=(.*)$/m)[1].trim();
const w = await world({ base, admin, fetch, setup: route !== "jwks" });
const load = (n) => w.load(fetch, route, n);
await load(300);
const targets = await (await fetch(`http://127.0.0.1:${iport}/json`)).json();
const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
await new Promise((r) => ws.on("open", r));
let id = 0;
const pending = new Map();
ws.on("message", (d) => {
  const m = JSON.parse(String(d));
  if (m.id && m.id < 100000000 && pending.has(m.id)) { pending.get(m.id)(m); pending.delete(m.id); }
});
const cdp = (method, params = {}) => new Promise((r) => { const i = ++id; pending.set(i, r); ws.send(JSON.stringify({ id: i, method, params })); });
await cdp("Profiler.enable");
await cdp("Profiler.setSamplingInterval", { interval: 50 });
await cdp("Profiler.start");
const t0 = Date.now();
await load(N);
const ms = Date.now() - t0;
const res = await cdp("Profiler.stop");
ws.close();
const p = res.result.profile;
fs.writeFileSync(out, JSON.stringify(p));
console.log(`${route}: ${N} requests in ${ms} ms, profile in ${out}`);
// wrangler dev's bundle, newest first, to attribute its lines to files
const tmp = ".wrangler/tmp";
const bundles = fs.existsSync(tmp) ? fs.readdirSync(tmp).filter((d) => d.startsWith("dev-")).map((d) => `${tmp}/${d}/worker.js`).filter((f) => fs.existsSync(f)) : [];
bundles.sort((x, y) => fs.statSync(y).mtimeMs - fs.statSync(x).mtimeMs);
selfTime(p, N, bundles[0] || "");
