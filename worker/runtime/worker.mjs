// The Worker's entry: one long-lived Go instance per isolate.
//
// syumai/workers' generated worker.mjs starts the Go program anew for every
// request. This one instantiates build/app.wasm once, when the isolate gets
// its first request, and hands every request to the function the Go side
// registers (worker/bridge). It imports the files that
// `workers-assets-gen -mode=go` generates: wasm_exec.js and runtime.mjs.
import "./wasm_exec.js";
import { createRuntimeContext, loadModule } from "./runtime.mjs";

globalThis.tryCatch = (fn) => {
  try {
    return { result: fn() };
  } catch (e) {
    return { error: e };
  }
};

// worker/cfkv's await (cfkv.AwaiterGlobal): given Go's one settle callback,
// a function that settles p and reports it as settle(id, value) or
// settle(-id, reason), so that awaiting a KV call costs Go one call into JS
// rather than two js.FuncOf (Go cannot define this itself: no eval here).
globalThis.goPromiseAwaiter = (settle) => (p, id) => {
  Promise.resolve(p).then(
    (v) => settle(id, v),
    (e) => settle(-id, e),
  );
};

let instance; // Promise of the binding the Go program filled in

function start(env, ctx) {
  const binding = {};
  const p = (async () => {
    const mod = await loadModule();
    const go = new Go();
    let ready;
    const readyPromise = new Promise((resolve) => (ready = resolve));
    const wasm = new WebAssembly.Instance(mod, {
      ...go.importObject,
      workers: { ready: () => ready() },
    });
    // env belongs to the isolate; ctx is only the first request's and the Go
    // side does not keep it.
    const exited = go.run(wasm, createRuntimeContext({ env, ctx, binding }));
    exited.finally(() => {
      // The program ended (it never should): the next request starts anew.
      if (instance === p) instance = undefined;
    });
    await Promise.race([readyPromise, exited.then(() => Promise.reject(new Error("Go program exited during start")))]);
    return binding;
  })();
  p.catch(() => {
    if (instance === p) instance = undefined;
  });
  return p;
}

// MAX_BODY is worker/bridge.MaxBodyBytes: a body declared no longer is read
// here, in one piece; a longer or undeclared one is left to the Go side, which
// reads at most MAX_BODY + 1 bytes of it.
const MAX_BODY = 1 << 20;

// The request's method, URL and headers as one string, which the Go side
// parses with far fewer Go↔JS calls than walking the Headers: "METHOD URL\n",
// then "name: value\n" per header (neither can hold a newline).
function requestHead(req) {
  let s = req.method + " " + req.url + "\n";
  for (const [name, value] of req.headers) s += name + ": " + value + "\n";
  return s;
}

// The body as a Uint8Array, null for none, undefined to leave to the Go side.
async function requestBody(req) {
  if (req.body === null || req.method === "GET" || req.method === "HEAD") return null;
  const cl = req.headers.get("content-length");
  if (cl !== null && /^[0-9]{1,8}$/.test(cl) && Number(cl) <= MAX_BODY) {
    return new Uint8Array(await req.arrayBuffer());
  }
  return undefined;
}

// Headers from the Go side's "name: value\n" lines.
function responseHeaders(lines) {
  const h = new Headers();
  let start = 0;
  while (start < lines.length) {
    let end = lines.indexOf("\n", start);
    if (end < 0) end = lines.length;
    const colon = lines.indexOf(": ", start);
    h.append(lines.slice(start, colon), lines.slice(colon + 2, end));
    start = end + 1;
  }
  return h;
}

async function fetch(req, env, ctx) {
  if (instance === undefined) instance = start(env, ctx);
  const binding = await instance;
  const head = requestHead(req);
  const body = await requestBody(req);
  return new Promise((resolve, reject) =>
    binding.handleRequest(req, head, body, (status, headers, body) => resolve(new Response(body, { status, headers: responseHeaders(headers) })), reject),
  );
}

export default { fetch };
