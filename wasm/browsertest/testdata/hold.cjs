// node hold.cjs WASM_EXEC CORE API_URL WIDGET_TOKEN CALLS
// Runs the widget core under Node against a worker, the way an open chat
// does (sync every 2 s, here back to back), and prints how many JavaScript
// values the Go side holds before and after: "held BEFORE AFTER CALLS".
const [wasmExec, core, apiUrl, pk, calls] = process.argv.slice(2);
require(require("path").resolve(wasmExec));
const fs = require("fs");
(async () => {
  const go = new Go();
  const { instance } = await WebAssembly.instantiate(fs.readFileSync(core), go.importObject);
  go.run(instance);
  for (let i = 0; i < 100 && !globalThis.ChatWidgetCore; i++) await new Promise((r) => setTimeout(r, 10));
  // widget.js's HOST (web/widget.js).
  const HOST = { call: function (o, k, a) { try { return { v: a ? o[k].apply(o, a) : o[k] }; } catch (e) { return { e: e }; } } };
  const r = ChatWidgetCore.create({ token: pk, apiUrl }, apiUrl, HOST);
  if (r.error) throw new Error("create: " + JSON.stringify(r.error));
  const w = r.widget;
  await w.start();
  const sent = await w.send({ sessionId: "", chatKey: w.newChatKey(), key: w.newKey(), content: "hello" });
  if (!sent.sessionId) throw new Error("send: " + JSON.stringify(sent));
  const held = () => go._values.filter((v) => v !== null && v !== undefined).length;
  const before = held();
  for (let i = 0; i < +calls; i++) await w.sync(sent.sessionId, "");
  console.log(`held ${before} ${held()} ${calls}`);
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
