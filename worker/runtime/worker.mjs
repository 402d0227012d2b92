// The Worker's entry: one long-lived Go instance per isolate, replaced when it
// traps.
//
// syumai/workers' generated worker.mjs starts the Go program anew for every
// request. This one instantiates build/app.wasm once, when the isolate gets
// its first request, and hands every request to the function the Go side
// registers (worker/bridge), and every batch of its Queue to another. It imports the files that
// `workers-assets-gen -mode=go` generates (runtime.mjs; the Makefile puts
// TinyGo's wasm_exec.js beside it) and glue.js from beside it.
//
// TinyGo cannot recover on WebAssembly: a panic in Go is a trap
// (RuntimeError: unreachable) out of whichever call into Go was running, and
// the instance is unusable after it. Every call into Go goes through the Go
// instance's exports (resume for callbacks, go_scheduler for timers), so
// that is where a trap is caught: the instance is marked dead, every request
// it had in flight is answered with the API's 500 and every batch it had is
// rejected (the platform delivers it again), calls into it after that do
// nothing, and the next request starts a fresh instance. A request that
// arrives while an instance starts waits for it, as the first one does.
import "./wasm_exec.js";
import "./glue.js"; // goBridgeFetch, goBridgeQueue and the awaiters, shared with the Go tests
import { createRuntimeContext, loadModule } from "./runtime.mjs";

let instance; // Promise of the live instance's binding

function start(env, ctx) {
  // binding is where the Go side registers handleRequest and handleQueue
  // (and its internalErrorBody); glue.js keeps what is in flight on it.
  // heldValues and memoryBytes are how many JavaScript values wasm_exec.js
  // holds for Go and the size of the instance's memory, for the test build's
  // GET /__test/held (worker/testroutes.go).
  const binding = {
    inflight: new Map(),
    dead: false,
    heldValues: () => go._values.length - go._idPool.length,
    memoryBytes: () => go._inst.exports.memory.buffer.byteLength,
  };
  let go;
  const p = (async () => {
    const mod = await loadModule();
    go = new Go();
    let ready;
    const readyPromise = new Promise((resolve) => (ready = resolve));
    const trap = new Promise((_, reject) => (binding.onTrap = reject));
    trap.catch(() => {});
    const wasm = new WebAssembly.Instance(mod, {
      ...go.importObject,
      workers: { ready: () => ready() },
    });
    // go.run gets the instance's exports each wrapped in guard: every call
    // into Go (resume from a callback, go_scheduler from a timer, _start)
    // goes through one of them.
    const guard = (f) => (...args) => {
      if (binding.dead) return undefined;
      try {
        return f(...args);
      } catch (e) {
        // A trap (RuntimeError), or anything else thrown through Go's frames
        // (TinyGo's exit sentinel among them, which wasm_exec.js handles):
        // either way the instance cannot be called again.
        trapped(binding, p, e);
        if (e instanceof WebAssembly.RuntimeError) return undefined;
        throw e;
      }
    };
    const exports = {};
    for (const [name, v] of Object.entries(wasm.exports)) exports[name] = typeof v === "function" ? guard(v) : v;
    // env belongs to the isolate; ctx is only the first request's and the Go
    // side does not keep it.
    const exited = go.run({ exports }, createRuntimeContext({ env, ctx, binding }));
    exited.finally(() => {
      // The program ended (it never should): the next request starts anew.
      if (instance === p) instance = undefined;
    });
    await Promise.race([readyPromise, trap, exited.then(() => Promise.reject(new Error("Go program exited during start")))]);
    // trap belongs to the request that started the instance: settled from
    // another request's call, workerd would warn of a foreign context.
    binding.onTrap = () => {};
    return binding;
  })();
  p.catch(() => {
    if (instance === p) instance = undefined;
  });
  return p;
}

// trapped retires the instance whose call into Go threw. The calls it had
// in flight each notice from their own request (glue.js's inFlight) and
// answer the API's 500, or reject their batch.
function trapped(binding, p, e) {
  if (binding.dead) return;
  binding.dead = true;
  binding.onTrap(e);
  if (instance === p) instance = undefined;
  // The app is built with -panic=trap (the Makefile): the panic's message is
  // not printed, so the calls in flight say where to look.
  const calls = [...binding.inflight.values()];
  console.error(
    `worker: the Go instance trapped with ${calls.length} calls in flight, which fail (${calls.join(", ")}); the next request starts a fresh instance:`,
    e && e.stack ? e.stack : e,
  );
}

// live returns the binding of an instance that has not trapped.
async function live(env, ctx) {
  for (;;) {
    if (instance === undefined) instance = start(env, ctx);
    const p = instance;
    const binding = await p;
    if (!binding.dead) return binding;
    if (instance === p) instance = undefined;
  }
}

async function fetch(req, env, ctx) {
  return goBridgeFetch(await live(env, ctx), req);
}

// A batch of the Queue this worker consumes (wrangler.toml's
// [[queues.consumers]]): handed to the same Go instance, which answers ack or
// retry per message (worker/bridge's handleQueue). Should Go fail to answer,
// or trap, the rejection makes the platform retry the whole batch.
async function queue(batch, env, ctx) {
  return goBridgeQueue(await live(env, ctx), batch);
}

export default { fetch, queue };
