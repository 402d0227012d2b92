// The JavaScript half of worker/bridge, jscall, cfkv and cffetch, as a plain
// script that sets these globals: worker.mjs imports it, and the Go tests
// that run under Node load this same file (Workers forbid eval, so the Go
// side cannot define these itself).
//
//   goBridgeFetch(binding, req)  hands a Request to the Go side's
//                                binding.handleRequest and returns its Response
//   goPromiseAwaiter(settle)     worker/jscall's await: (p, id) settles p and
//                                reports it as settle(id, value) or
//                                settle(-id, reason), one Go→JS call an await
//   goKVAwaiter(settle)          worker/cfkv's KV call: (ns, op, ...args, id)
//                                calls ns[op](...args) and reports it the same
//                                way, a get's ArrayBuffer as a Uint8Array and
//                                a list's result as JSON text, so that Go reads
//                                either with a few calls; a put's options come
//                                as (metadata JSON text or null, ttl or 0); op
//                                "getMany" is a bulk get of an array of keys,
//                                its Map of texts handed over as JSON text
//   goBridgeQueue(binding, batch) hands a Queue's MessageBatch to the Go side's
//                                binding.handleQueue and applies the outcome
//                                it answers for each message (ack or retry)
//   goFetchAwaiter(settle)       worker/cffetch's outgoing request: (method,
//                                url, header lines, body, timeout ms, id)
//                                fetches without following redirects and
//                                reports the answer's status the same way
(() => {
  // MAX_BODY is worker/bridge.MaxBodyBytes: a body declared no longer is read
  // here, in one piece; a longer or undeclared one is left to the Go side,
  // which reads at most MAX_BODY + 1 bytes of it.
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

  // inFlight calls start(settle) with a settle that runs once, and until
  // then watches binding.dead, which worker.mjs sets when the instance traps:
  // fail then answers the call, from a timer of its own. Its own, because
  // workerd settles a promise only in the request that made it: settled
  // from the call that trapped (another request's), it would be cancelled
  // as hung. binding.inflight maps the calls not yet answered to what they
  // are (worker.mjs logs them at a trap).
  function inFlight(binding, what, start, fail) {
    return new Promise((resolve, reject) => {
      let done = false;
      let timer;
      const settle = (f) => (...args) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        binding.inflight?.delete(settle);
        f(resolve, reject, ...args);
      };
      const failNow = settle((resolve, reject, e) => fail(resolve, reject, e));
      const trapped = () => failNow(new Error("the Go instance trapped"));
      const watch = () => {
        timer = setTimeout(() => (binding.dead ? trapped() : watch()), trapPollMs);
      };
      binding.inflight?.set(settle, what);
      start(settle);
      if (binding.dead) trapped();
      else if (!done) watch();
    });
  }

  // How often a call in flight looks whether its instance trapped: the most
  // a trap delays the 500 of the requests it took.
  const trapPollMs = 20;

  // The API's 500 (binding.internalErrorBody, which worker/bridge sets from
  // internal/api, the one place it is written).
  function internalError(binding) {
    return new Response(binding.internalErrorBody, { status: 500, headers: { "content-type": "application/json; charset=utf-8" } });
  }

  globalThis.goBridgeFetch = async (binding, req) => {
    const head = requestHead(req);
    const body = await requestBody(req);
    return inFlight(
      binding,
      `${req.method} ${new URL(req.url).pathname}`,
      (settle) =>
        binding.handleRequest(
          req,
          head,
          body,
          settle((resolve, _, status, headers, body) => resolve(new Response(body, { status, headers: responseHeaders(headers) }))),
          settle((_, reject, e) => reject(e)),
        ),
      (resolve) => resolve(internalError(binding)),
    );
  };

  // put's arguments from Go's (key, value, metadata as JSON text or null,
  // expirationTtl in seconds or 0).
  function putArgs(key, value, meta, ttl) {
    const opts = {};
    if (meta !== null && meta !== undefined) opts.metadata = JSON.parse(meta);
    if (ttl > 0) opts.expirationTtl = ttl;
    return [key, value, opts];
  }

  globalThis.goKVAwaiter = (settle) => (ns, op, ...rest) => {
    const id = rest.pop();
    let p;
    try {
      if (op === "getMany") {
        // A bulk read of an array of keys: its Map of key to text (null for
        // none) as JSON text.
        p = Promise.resolve(ns.get(rest[0], { type: "text" })).then((m) => JSON.stringify(Object.fromEntries(m)));
      } else {
        p = Promise.resolve(ns[op](...(op === "put" ? putArgs(...rest) : rest)));
        if (op === "get") p = p.then((v) => (v === null || v === undefined ? null : new Uint8Array(v)));
        else if (op === "list") p = p.then((v) => JSON.stringify(v));
      }
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(
      (v) => settle(id, v),
      (e) => settle(-id, e),
    );
  };

  // A message body as text: the Go side sends text; anything else (a
  // message sent by other code) is made text as well as it can be.
  function queueBody(b) {
    if (typeof b === "string") return b;
    if (b instanceof ArrayBuffer || ArrayBuffer.isView(b)) return new TextDecoder().decode(b);
    try {
      return JSON.stringify(b) ?? "";
    } catch {
      return "";
    }
  }

  // handleQueue(ids, bodies, attempts, respond, reject): respond gets one
  // string of comma-separated outcomes in the batch's order, -1 for ack and
  // n >= 0 for a retry after n seconds. A message the answer leaves out is
  // retried (the platform would otherwise take a finished handler's silence
  // as an ack of all).
  globalThis.goBridgeQueue = (binding, batch) => {
    const msgs = batch.messages;
    const ids = [], bodies = [], attempts = [];
    for (const m of msgs) {
      ids.push(m.id);
      bodies.push(queueBody(m.body));
      attempts.push(m.attempts);
    }
    // respond resolves this promise, and the outcomes are applied in its
    // continuation, which runs in this batch's context: the Go side may
    // call respond from a callback of another request, whose context
    // ack() and retry() do not belong to.
    return inFlight(
      binding,
      `a queue batch of ${msgs.length}`,
      (settle) =>
        binding.handleQueue(
          ids,
          bodies,
          attempts,
          settle((resolve, _, outcomes) => resolve(outcomes)),
          settle((_, reject, e) => reject(e)),
        ),
      (_, reject, e) => reject(e),
    ).then((outcomes) => {
      const o = outcomes === "" ? [] : String(outcomes).split(",");
      msgs.forEach((m, i) => {
        const d = i < o.length ? Number(o[i]) : 0;
        if (d < 0) m.ack();
        else m.retry({ delaySeconds: d });
      });
    });
  };

  // Headers from the Go side's "name: value\n" lines, as pairs.
  function headerPairs(lines) {
    const out = [];
    for (const line of lines.split("\n")) {
      const colon = line.indexOf(": ");
      if (colon > 0) out.push([line.slice(0, colon), line.slice(colon + 2)]);
    }
    return out;
  }

  globalThis.goFetchAwaiter = (settle) => (method, url, head, body, timeoutMs, id) => {
    let p;
    try {
      p = fetch(url, {
        method,
        headers: headerPairs(head),
        body: body === null ? undefined : body,
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      }).then((res) => {
        if (res.body) res.body.cancel().catch(() => {});
        return res.status;
      });
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(
      (v) => settle(id, v),
      (e) => settle(-id, e && e.name === "TimeoutError" ? "TimeoutError: " + e.message : e),
    );
  };

  globalThis.goPromiseAwaiter = (settle) => (p, id) => {
    Promise.resolve(p).then(
      (v) => settle(id, v),
      (e) => settle(-id, e),
    );
  };
})();
