// node hold.cjs WASM_EXEC CORE API_URL WIDGET_TOKEN ROUNDS [bare]
// Runs the widget core under Node against a worker the way an open chat
// does, back to back: each round syncs the open chat (an open chat does
// every 2 s), lists the sessions, reads the chat, reads a chat that does not
// exist (a refusal), asks status, newKey and pending, every 10th round makes
// a widget and releases it (as each ChatWidget.init does the one before),
// and every 25th round sends a message. It prints how many JavaScript values
// the Go side holds and the size of its memory, before and after, what
// wasm_exec.js complained of, and how many widgets the core still holds:
// "held BEFORE AFTER ROUNDS memory BEFORE AFTER errors N widgets W".
// The core gets web/widget.js's HOST, or with "bare" only its call (as from
// an older widget.js), so that the core makes its own Promises and reads
// fetch's answer itself.
const [wasmExec, core, apiUrl, pk, rounds, bare] = process.argv.slice(2);
require(require("path").resolve(wasmExec));
const fs = require("fs");
let complaints = 0;
const consoleError = console.error;
// The core's own lines for the site's developer ("ChatWidget: ...", the
// refused session's) are no complaint of wasm_exec.js.
console.error = (...a) => { if (!String(a[0]).startsWith("ChatWidget: ")) complaints++; consoleError(...a); };
(async () => {
  const go = new Go();
  const { instance } = await WebAssembly.instantiate(fs.readFileSync(core), go.importObject);
  go.run(instance);
  for (let i = 0; i < 100 && !globalThis.ChatWidgetCore; i++) await new Promise((r) => setTimeout(r, 10));
  const widgetJS = fs.readFileSync(require("path").join(__dirname, "../../../web/widget.js"), "utf8");
  const host = widgetJS.slice(widgetJS.indexOf("(BEGIN HOST"), widgetJS.indexOf("// (END HOST)"));
  const HOST = new Function("P", host.slice(host.indexOf("\n")) + "; return HOST;")(Promise);
  if (bare === "bare") for (const k of Object.keys(HOST)) if (k !== "call") delete HOST[k];
  // The deepest configs first, for the stack they take: customData nested as
  // deep as allowed, and a config deeper than the core reads (refused).
  const deep = (n, leaf) => (n === 0 ? leaf : { k: deep(n - 1, leaf), a: [1, "two", { three: 3 }] });
  const ok = ChatWidgetCore.create({ token: pk, apiUrl, user: { data: { name: "N", email: "n@example.com", customData: { x: { k: 1, a: [1, "two", 3] }, y: [[1]], s: "x".repeat(2000) } } } }, apiUrl, HOST);
  if (ok.error) throw new Error("create with deep customData: " + JSON.stringify(ok.error));
  ok.widget.release();
  const tooDeep = ChatWidgetCore.create({ token: pk, apiUrl, user: { data: { customData: deep(40, "leaf") } } }, apiUrl, HOST);
  if (!tooDeep.error) throw new Error("a config nested 40 deep was taken");
  const r = ChatWidgetCore.create({ token: pk, apiUrl }, apiUrl, HOST);
  if (r.error) throw new Error("create: " + JSON.stringify(r.error));
  const w = r.widget;
  await w.start();
  const send = (content) => w.send({ sessionId: sent.sessionId, chatKey: w.newChatKey(), key: w.newKey(), content });
  let sent = { sessionId: "" };
  sent = await send("hello");
  if (!sent.sessionId) throw new Error("send: " + JSON.stringify(sent));
  const held = () => go._values.filter((v) => v !== null && v !== undefined).length;
  const memory = () => (instance.exports.memory || instance.exports.mem).buffer.byteLength; // TinyGo, Go
  const round = async (i) => {
    await w.sync(sent.sessionId, "");
    const list = await w.sessions();
    if (!list || !Array.isArray(list.sessions || list)) throw new Error("sessions: " + JSON.stringify(list));
    await w.session(sent.sessionId, "");
    const refused = await w.session("0190a0a0-0000-7000-8000-000000000000", "").then(() => null, (e) => e);
    if (!refused || !refused.code) throw new Error("an unknown session was not refused: " + JSON.stringify(refused));
    w.status(); w.newKey(); w.pending();
    if (i % 10 === 0) {
      const gone = ChatWidgetCore.create({ token: pk, apiUrl }, apiUrl, HOST).widget;
      gone.newKey();
      gone.release();
      const st = gone.status(); // what a widget with nobody chatting would answer
      if (!st || st.mode !== "" || st.pending !== 0 || gone.pending().length !== 0) throw new Error("a released widget's status(): " + JSON.stringify(st));
      const e = await gone.sessions().then(() => null, (x) => x);
      if (!e || e.code !== "released") throw new Error("a released widget's sessions(): " + JSON.stringify(e));
    }
    if (i % 25 === 0) {
      const m = await send("message " + i);
      if (m.sessionId !== sent.sessionId) throw new Error("send: " + JSON.stringify(m));
    }
  };
  await round(1); // the first round's one-time values (the error path's, say) count as before
  const before = [held(), memory()];
  for (let i = 0; i < +rounds; i++) await round(i);
  console.log(`held ${before[0]} ${held()} ${rounds} memory ${before[1]} ${memory()} errors ${complaints} widgets ${ChatWidgetCore.widgets()}`);
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
