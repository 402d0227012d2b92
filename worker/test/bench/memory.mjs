// The isolate's memory of a worker under wrangler dev, read through wrangler's
// V8 inspector (the Chrome DevTools protocol; the ws package, as
// isolate/profile.mjs: wrangler's proxy refuses Node's own WebSocket):
//
//   node worker/test/bench/memory.mjs INSPECTOR_PORT WORKER_URL
//
// prints one JSON line: Runtime.getHeapUsage after a full collection
// (HeapProfiler.collectGarbage), and the byte length of every
// WebAssembly.Memory in the isolate (Runtime.queryObjects on its prototype),
// which V8's heap figures leave out (its backing store is outside the heap,
// and not in backingStorageSize either). workerd runs the collection only
// once the isolate next runs, so GET WORKER_URL/.well-known/jwks.json (both
// workers answer it without KV) is sent until it has. Run bench's memory.go.
import WebSocket from "ws";

const [port, base] = process.argv.slice(2);
const fail = (e) => {
  console.error(String(e && e.stack ? e.stack : e));
  process.exit(1);
};
setTimeout(() => fail(new Error("inspector: no answer within 30 s")), 30000).unref();

const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
if (!targets.length) fail(new Error("inspector: no target at /json"));
const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
await new Promise((resolve, reject) => {
  ws.on("open", resolve);
  ws.on("error", reject);
}).catch(fail);
let id = 0;
let context;
const pending = new Map();
ws.on("message", (data) => {
  const m = JSON.parse(String(data));
  if (m.id && pending.has(m.id)) {
    pending.get(m.id)(m);
    pending.delete(m.id);
  } else if (m.method === "Runtime.executionContextCreated") {
    context = m.params.context.id;
  }
});
ws.on("close", () => pending.size && fail(new Error("inspector: closed")));
const send = (method, params = {}) =>
  new Promise((resolve, reject) => {
    const i = ++id;
    pending.set(i, (m) => (m.error ? reject(new Error(`${method}: ${m.error.message}`)) : resolve(m.result)));
    ws.send(JSON.stringify({ id: i, method, params }));
  });

try {
  // wrangler's proxy announces the worker's context to the first client
  // only; enabling again makes V8 announce it to this one.
  await send("Runtime.enable");
  await send("Runtime.disable");
  await send("Runtime.enable");
  if (context === undefined) throw new Error("inspector: no execution context");

  const gc = send("HeapProfiler.collectGarbage");
  let done = false;
  gc.then(() => (done = true), () => (done = true));
  let nudges = 0;
  while (!done && nudges < 50) {
    await Promise.race([gc, new Promise((r) => setTimeout(r, 100))]);
    if (done) break;
    nudges++;
    await (await fetch(`${base}/.well-known/jwks.json`)).arrayBuffer();
  }
  await gc;
  const heap = await send("Runtime.getHeapUsage");

  const proto = await send("Runtime.evaluate", { expression: "WebAssembly.Memory.prototype", contextId: context });
  const all = await send("Runtime.queryObjects", { prototypeObjectId: proto.result.objectId });
  const lengths = await send("Runtime.callFunctionOn", {
    objectId: all.objects.objectId,
    functionDeclaration: "function () { return this.map((m) => m.buffer.byteLength); }",
    returnByValue: true,
  });
  console.log(JSON.stringify({ ...heap, wasmMemories: lengths.result.value, nudges }));
  ws.close();
  process.exit(0); // fetch's kept-alive connection would hold the process
} catch (e) {
  fail(e);
}
