// The worker's own CPU per request, without workerd: build/'s worker (its
// wasm_exec.js, glue.js and app.wasm, started as worker/runtime/worker.mjs
// starts them) and, with "peer", the bench's JavaScript peer, in one Node
// process over an in-memory KV whose calls settle on a later turn of the
// event loop. 4 clients, rounds interleaved; each side's CPU per request
// (process.cpuUsage) less the harness's own cost around a trivial fetch.
//
//   node worker/test/bench/isolate/harness.mjs BUILD_DIR[,BUILD_DIR...] ROUTE N [peer]
//   ROUTE: jwks | auth | contacts | list | message
//   ROUNDS=n (default 5); COUNT=1 prints the calls from Go into JavaScript
//   per request instead (of the first build).
//
// Several build directories (comma-separated; wasm_exec.js and glue.js are
// the first one's) run side by side over the same KV, to judge a change to
// the Go program by CPU per request: the sides take turns in an order that
// rotates every round, since in one process the side that goes first was
// measured 5-10% slower than when it went last.
//
// See ../README.md (session 15) for what it measured and why.
import fs from "node:fs";
import path from "node:path";
import { setImmediate as later } from "node:timers/promises";
import { world } from "./routes.mjs";
const [buildDirs, route, nS, which] = process.argv.slice(2);
if (!buildDirs || !route || !nS) {
  console.error("usage: node harness.mjs BUILD_DIR[,BUILD_DIR...] jwks|auth|contacts|list|message N [peer]");
  process.exit(2);
}
const N = Number(nS);
const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../../..");
const vars = Object.fromEntries(fs.readFileSync(path.join(repo, ".dev.vars.example"), "utf8").split("\n").filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
// KV: values kept as Uint8Array, metadata as JSON text
const store = new Map();
const enc = new TextEncoder(), dec = new TextDecoder();
const tick = () => later();
const KV = {
  async get(key, opt) {
    await tick();
    const e = store.get(key);
    if (!e) return null;
    const type = typeof opt === "string" ? opt : opt?.type || "text";
    if (type === "arrayBuffer") return e.v.slice().buffer;
    if (type === "json") return JSON.parse(dec.decode(e.v));
    return dec.decode(e.v);
  },
  async getWithMetadata(key, opt) { const value = await this.get(key, opt); const e = store.get(key); return { value, metadata: e?.m ?? null }; },
  async put(key, value, opts) {
    await tick();
    const v = typeof value === "string" ? enc.encode(value) : value instanceof ArrayBuffer ? new Uint8Array(value.slice(0)) : new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
    store.set(key, { v, m: opts?.metadata === undefined ? undefined : structuredClone(opts.metadata) });
  },
  async delete(key) { await tick(); store.delete(key); },
  async list(o = {}) {
    await tick();
    const prefix = o.prefix || "", limit = o.limit || 1000;
    const keys = [...store.keys()].filter((k) => k.startsWith(prefix)).sort();
    let start = 0;
    if (o.cursor) start = Number(o.cursor);
    const page = keys.slice(start, start + limit);
    const done = start + limit >= keys.length;
    return { keys: page.map((name) => { const m = store.get(name).m; return m === undefined ? { name } : { name, metadata: m }; }), list_complete: done, ...(done ? {} : { cursor: String(start + limit) }), cacheStatus: null };
  },
};
const RL = { limit: async () => ({ success: true }) };
const Q = { send: async () => {}, sendBatch: async () => {} };
const env = { ...vars, CHAT_KV: KV, JOBS: Q, JOBS_DEAD_LETTERS: Q, RL_CONTACTS_PER_DEVICE: RL, RL_CONTACTS_PER_IP: RL, RL_MESSAGES_PER_DEVICE: RL, RL_MESSAGES_PER_IP: RL,
  RATE_LIMIT_CONTACTS_PER_DEVICE: "0", RATE_LIMIT_CONTACTS_PER_IP: "0", RATE_LIMIT_MESSAGES_PER_DEVICE: "0", RATE_LIMIT_MESSAGES_PER_IP: "0", CONTACT_TOKEN_TTL_SECONDS: "604800" };
const ctx = { waitUntil() {}, passThroughOnException() {} };
// workerd's scheduler.wait, which the Go worker waits on (jscall.Sleep: a
// post waiting its turn at its session); Node has it only in timers/promises.
globalThis.scheduler ??= { wait: (ms) => new Promise((r) => setTimeout(r, ms)) };

// The Go workers, each as worker.mjs starts it.
const dirs = buildDirs.split(",");
await import(path.resolve(dirs[0], "wasm_exec.js"));
await import(path.resolve(dirs[0], "glue.js"));
const counts = {};
const sides = [];
for (const dir of dirs) {
  const mod = new WebAssembly.Module(fs.readFileSync(path.resolve(dir, "app.wasm")));
  const binding = { inflight: new Map(), dead: false };
  const go = new Go();
  if (process.env.COUNT && sides.length === 0) for (const [k, f] of Object.entries(go.importObject.gojs)) go.importObject.gojs[k] = (...a) => { counts[k] = (counts[k] || 0) + 1; return f(...a); };
  let ready;
  const readyP = new Promise((r) => (ready = r));
  const inst = new WebAssembly.Instance(mod, { ...go.importObject, workers: { ready: () => ready() } });
  go.run(inst, { env, ctx, binding, connect: () => {} });
  await readyP;
  sides.push([dirs.length > 1 ? dir : "go", (req) => goBridgeFetch(binding, req)]);
}
const goFetch = sides[0][1];
if (which === "peer") {
  const peer = await import(path.join(repo, "worker/test/bench/peer/worker.js"));
  sides.push(["peer", (req) => peer.default.fetch(req, env, ctx)]);
}
const w = await world({ base: "http://127.0.0.1:8787", admin: vars.ADMIN_TOKEN, fetch: goFetch });
const load = (f, n) => w.load(f, route, n);
// the cost of the harness itself: building requests and reading answers around a trivial fetch
const nullFetch = async () => new Response("{}", { status: 200 });
for (const [, f] of sides) await load(f, 500);
await load(nullFetch, 500);
const res = {};
if (process.env.COUNT) {
  for (const k in counts) delete counts[k];
  await load(goFetch, N);
  const tot = Object.values(counts).reduce((a, b) => a + b, 0);
  console.log(`${route}: ${(tot / N).toFixed(1)} calls into JS per request: ` + Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k.replace("syscall/js.", "")} ${(v / N).toFixed(1)}`).join(", "));
  process.exit(0);
}
const rounds = Number(process.env.ROUNDS || 5);
for (let r = 0; r < rounds; r++) {
  const order = [...sides.slice(r % sides.length), ...sides.slice(0, r % sides.length)];
  for (const [name, f] of [...order, ["null", nullFetch]]) {
    const c0 = process.cpuUsage();
    await load(f, N);
    const c = process.cpuUsage(c0);
    (res[name] ||= []).push((c.user + c.system) / 1000 / N);
  }
}
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const nul = med(res.null);
const out = [];
for (const [name] of sides) out.push(`${name} ${(med(res[name]) - nul).toFixed(3)} ms`);
console.log(`${route}: ${out.join("  ")}  (harness ${nul.toFixed(3)} ms subtracted; rounds ${sides.map(([n]) => res[n].map((x) => (x - nul).toFixed(3)).join(",")).join(" | ")})`);
process.exit(0);
