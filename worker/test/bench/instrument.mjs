// Bench instrumentation: the entry of the profiled copies of both workers
// (never of the ones the load is timed on). It wraps the worker's default
// export and its CHAT_KV binding, and adds to every response an
// X-Bench-Profile header: the KV calls the request made, the wall time spent
// waiting on KV (overlapping calls counted once), the request's whole time in
// the isolate, and for the first request of the isolate the cold start steps
// of a Go worker (WebAssembly.Instance, go.run until the program's ready
// signal); a Go worker also prints its packages' init times (inittrace).
// Local workerd's clock advances during computation, so the times are real. Attribution assumes one request at a time: the bench profiles
// sequentially.
import app from "__BENCH_APP__";

let cur = null; // the request being served
let wrappedEnv;
let first = true;
const cold = {};

// A Go worker instantiates its module on its first request: time it.
const RealInstance = WebAssembly.Instance;
try {
  const Patched = function (mod, imports) {
    const t0 = Date.now();
    if (imports && imports.workers && typeof imports.workers.ready === "function") {
      const ready = imports.workers.ready;
      imports.workers.ready = (...a) => {
        cold.ready_at = Date.now();
        return ready(...a);
      };
    }
    const inst = new RealInstance(mod, imports);
    cold.instantiate_ms = Date.now() - t0;
    cold.instantiated_at = Date.now();
    return inst;
  };
  Patched.prototype = RealInstance.prototype;
  WebAssembly.Instance = Patched;
} catch (e) {
  // Not patchable here: the cold start is still timed as a whole.
}

// A Go worker: have the Go runtime report each package's init time
// (GODEBUG=inittrace=1, printed to the program's stderr).
// Also count the calls the Go program makes into JavaScript (wasm_exec.js's
// imports: syscall/js and the runtime's clock and randomness) per request,
// but not finalizeRef: Go's garbage collector makes those in bursts, for
// values of earlier requests, whichever request it runs in.
if (typeof globalThis.Go === "function") {
  const RealGo = globalThis.Go;
  globalThis.Go = class extends RealGo {
    constructor(...args) {
      super(...args);
      this.env = { ...(this.env || {}), GODEBUG: "inittrace=1" };
      const imports = this.importObject.gojs || this.importObject.go || {};
      for (const name of Object.keys(imports)) {
        const f = imports[name];
        if (typeof f !== "function" || name === "syscall/js.finalizeRef") continue;
        imports[name] = function (...a) {
          if (cur) cur.js_calls = (cur.js_calls || 0) + 1;
          return f.apply(this, a);
        };
      }
    }
  };
}

// Keep what the Go program writes (wasm_exec.js's fs.writeSync), for
// GET /__bench/output: wrangler dev does not show a worker's console here.
let goOutput = "";
if (globalThis.fs && typeof globalThis.fs.writeSync === "function") {
  const realWrite = globalThis.fs.writeSync;
  const dec = new TextDecoder();
  globalThis.fs.writeSync = function (fd, buf) {
    if (goOutput.length < 1 << 20) goOutput += dec.decode(buf);
    return realWrite.call(this, fd, buf);
  };
}

// Count the WebCrypto signatures and verifications of each request: the Go
// worker's tokens go through crypto.subtle (worker/webcrypto), as the peer's
// do through jose.
try {
  const subtle = crypto.subtle;
  for (const name of ["sign", "verify"]) {
    const real = subtle[name].bind(subtle);
    Object.defineProperty(subtle, name, {
      configurable: true,
      writable: true,
      value: (...args) => {
        if (cur) cur[name] = (cur[name] || 0) + 1;
        return real(...args);
      },
    });
  }
} catch (e) {
  // Not patchable here: the counts stay 0.
}

function wrapKV(kv) {
  const op = (name) => async (...args) => {
    const r = cur;
    if (r) {
      r[name] = (r[name] || 0) + 1;
      if (r.inflight++ === 0) r.since = Date.now();
    }
    try {
      return await kv[name](...args);
    } finally {
      if (r && --r.inflight === 0) r.kv_ms += Date.now() - r.since;
    }
  };
  return { get: op("get"), getWithMetadata: op("getWithMetadata"), put: op("put"), list: op("list"), delete: op("delete") };
}

function wrapEnv(env) {
  const kv = env.CHAT_KV ? wrapKV(env.CHAT_KV) : undefined;
  return new Proxy(env, {
    get(target, prop) {
      return prop === "CHAT_KV" ? kv : target[prop];
    },
  });
}

export default {
  async fetch(req, env, ctx) {
    if (new URL(req.url).pathname === "/__bench/output") return new Response(goOutput);
    const t0 = Date.now();
    const r = { inflight: 0, kv_ms: 0, since: 0 };
    cur = r;
    if (!wrappedEnv) wrappedEnv = wrapEnv(env);
    const isFirst = first;
    first = false;
    const res = await app.fetch(req, wrappedEnv, ctx);
    const total = Date.now() - t0;
    if (cur === r) cur = null;
    const out = { get: r.get || 0, getWithMetadata: r.getWithMetadata || 0, put: r.put || 0, list: r.list || 0, delete: r.delete || 0, sign: r.sign || 0, verify: r.verify || 0, js_calls: r.js_calls || 0, kv_ms: r.kv_ms, total_ms: total };
    if (isFirst) {
      out.cold = { total_ms: total };
      if (cold.instantiate_ms !== undefined) {
        out.cold.before_instantiate_ms = cold.instantiated_at - cold.instantiate_ms - t0;
        out.cold.instantiate_ms = cold.instantiate_ms;
        if (cold.ready_at !== undefined) out.cold.run_to_ready_ms = cold.ready_at - cold.instantiated_at;
      }
    }
    const h = new Headers(res.headers);
    h.set("X-Bench-Profile", JSON.stringify(out));
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers: h });
  },
};
