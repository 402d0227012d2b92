// A V8 CPU profile of the worker in workerd, under load:
//
//   make dev INSPECTOR_PORT=9229   (or any wrangler dev with --inspector-port)
//   node worker/test/bench/isolate/profile.mjs http://127.0.0.1:8787 9229 ROUTE N OUT.cpuprofile
//
// ROUTE: jwks | list | message | contacts | auth. It makes an org with the
// admin token of .dev.vars, sends 300 requests to warm up, then profiles N
// more (4 clients) through wrangler's inspector (the ws package: wrangler's
// proxy refuses Node's own WebSocket) and prints the self time by function.
// Build the worker without -no-debug for function names. See selftime.mjs.
import fs from "node:fs";
import WebSocket from "ws";
const [base, iport, route, nStr, out] = process.argv.slice(2);
const N = Number(nStr);
const admin = fs.readFileSync(".dev.vars", "utf8").match(/^ADMIN_TOKEN=(.*)$/m)[1].trim();
const origin = "https://shop.example";

async function j(method, path, body, headers = {}) {
  const r = await fetch(base + path, { method, headers: { "content-type": "application/json", ...headers }, body: body ? JSON.stringify(body) : undefined });
  const t = await r.text();
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${t}`);
  return t ? JSON.parse(t) : null;
}
let org, api_key, wt, uh, sessions = [];
if (route !== "jwks") {
({ org, api_key } = await j("POST", "/v1/admin/orgs", { name: "p", allowed_origins: [origin] }, { authorization: "Bearer " + admin }));
wt = { "x-widget-token": org.widget_token, origin };
const { token } = await j("POST", "/v1/users/authenticate", { user_id: "u1", email: "u1@example.com" }, { authorization: "Bearer " + api_key.secret });
uh = { ...wt, authorization: "Bearer " + token };
for (let i = 0; i < 3; i++) sessions.push((await j("POST", "/v1/widget/sessions", {}, uh)).session.id);
}
let k = 0;
const req = {
  jwks: () => j("GET", "/.well-known/jwks.json"),
  list: () => j("GET", "/v1/widget/sessions", null, uh),
  message: () => j("POST", `/v1/widget/sessions/${sessions[k++ % 3]}/messages`, { content: "hello " + k }, uh),
  contacts: () => j("POST", "/v1/widget/contacts", { device_id: crypto.randomUUID(), name: "x" }, wt),
  auth: () => j("POST", "/v1/users/authenticate", { user_id: "u" + (k++ % 50) }, { authorization: "Bearer " + api_key.secret }),
}[route];
async function load(n, c = 4) {
  let left = n;
  await Promise.all(Array.from({ length: c }, async () => { while (left-- > 0) await req(); }));
}
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
// self time per node
const dt = new Map();
for (let i = 0; i < p.samples.length; i++) dt.set(p.samples[i], (dt.get(p.samples[i]) || 0) + (p.timeDeltas[i] || 0));
const byFn = new Map(), byCat = new Map();
let total = 0, idle = 0;
for (const n of p.nodes) {
  const t = dt.get(n.id) || 0;
  const f = n.callFrame;
  const name = f.functionName || "(anon)";
  if (name === "(idle)" || name === "(program)") { idle += name === "(idle)" ? t : 0; if (name === "(idle)") continue; }
  total += t;
  const url = f.url || "";
  const cat = url.startsWith("wasm") ? "wasm" : url.includes("wasm_exec") ? "wasm_exec.js" : url.includes("glue") ? "glue.js" : url.includes("worker.mjs") ? "worker.mjs" : url ? url.replace(/.*\//, "") : name.startsWith("(") ? name : "native";
  byCat.set(cat, (byCat.get(cat) || 0) + t);
  const key = cat + " " + name;
  byFn.set(key, (byFn.get(key) || 0) + t);
}
console.log(`${route}: ${N} requests in ${ms} ms; busy ${(total / 1000).toFixed(0)} ms = ${(total / 1000 / N).toFixed(3)} ms/req (idle ${(idle / 1000).toFixed(0)} ms)`);
for (const [c, t] of [...byCat].sort((a, b) => b[1] - a[1])) console.log(`  ${(100 * t / total).toFixed(1).padStart(5)}%  ${(t / 1000 / N).toFixed(3)} ms/req  ${c}`);
console.log("top functions:");
for (const [c, t] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`  ${(100 * t / total).toFixed(1).padStart(5)}%  ${c}`);
