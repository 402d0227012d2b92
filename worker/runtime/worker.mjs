// The Worker's entry: one long-lived Go instance per isolate.
//
// syumai/workers' generated worker.mjs starts the Go program anew for every
// request. This one instantiates build/app.wasm once, when the isolate gets
// its first request, and hands every request to the function the Go side
// registers (worker/bridge), and every batch of its Queue to another. It imports the files that
// `workers-assets-gen -mode=go` generates, wasm_exec.js and runtime.mjs, and
// glue.js from beside it.
import "./wasm_exec.js";
import "./glue.js"; // goBridgeFetch, goBridgeQueue and the awaiters, shared with the Go tests
import { createRuntimeContext, loadModule } from "./runtime.mjs";

globalThis.tryCatch = (fn) => {
  try {
    return { result: fn() };
  } catch (e) {
    return { error: e };
  }
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

async function fetch(req, env, ctx) {
  if (instance === undefined) instance = start(env, ctx);
  return goBridgeFetch(await instance, req);
}

// A batch of the Queue this worker consumes (wrangler.toml's
// [[queues.consumers]]): handed to the same Go instance, which answers ack or
// retry per message (worker/bridge's handleQueue). Should Go fail to answer,
// the rejection makes the platform retry the whole batch.
async function queue(batch, env, ctx) {
  if (instance === undefined) instance = start(env, ctx);
  return goBridgeQueue(await instance, batch);
}

export default { fetch, queue };
