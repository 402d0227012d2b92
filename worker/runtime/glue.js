// The JavaScript half of worker/bridge and worker/cfkv, as a plain script that
// sets two globals: worker.mjs imports it, and the Go tests that run under
// Node load this same file (Workers forbid eval, so the Go side cannot define
// these itself).
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
//                                as (metadata JSON text or null, ttl or 0)
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

  globalThis.goBridgeFetch = async (binding, req) => {
    const head = requestHead(req);
    const body = await requestBody(req);
    return new Promise((resolve, reject) =>
      binding.handleRequest(req, head, body, (status, headers, body) => resolve(new Response(body, { status, headers: responseHeaders(headers) })), reject),
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
      p = Promise.resolve(ns[op](...(op === "put" ? putArgs(...rest) : rest)));
      if (op === "get") p = p.then((v) => (v === null || v === undefined ? null : new Uint8Array(v)));
      else if (op === "list") p = p.then((v) => JSON.stringify(v));
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(
      (v) => settle(id, v),
      (e) => settle(-id, e),
    );
  };

  globalThis.goPromiseAwaiter = (settle) => (p, id) => {
    Promise.resolve(p).then(
      (v) => settle(id, v),
      (e) => settle(-id, e),
    );
  };
})();
