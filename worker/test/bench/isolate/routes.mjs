// The routes harness.mjs and profile.mjs drive, and the org they drive them
// for: one org (made with the admin token), a verified user with three
// sessions of one message each, and a request per route.
//
//   const w = await world({ base, admin, fetch });   // fetch makes the org
//   await w.load(fetch, "message", 1000);            // 4 clients
//
// Each request is sent through the fetch given to load (any function from a
// Request to a Response), so that one org serves several workers sharing its
// KV (harness.mjs: the Go worker and the peer).

export const ROUTES = ["jwks", "auth", "contacts", "list", "message"];

const origin = "https://shop.example";

// call sends one request through f and returns the answer's text; anything
// but a 2xx is an error.
async function call(f, base, method, path, body, headers = {}) {
  const r = await f(new Request(base + path, {
    method,
    headers: { "content-type": "application/json", "cf-connecting-ip": "127.0.0.1", "user-agent": "bench", accept: "*/*", ...headers },
    body: body ? JSON.stringify(body) : undefined,
  }));
  const t = await r.text();
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${t}`);
  return t;
}

// world makes the org through fetch; with setup false (jwks alone, which
// needs none) it makes nothing.
export async function world({ base, admin, fetch, setup = true }) {
  const J = async (...a) => JSON.parse(await call(fetch, base, ...a));
  let api_key, wt, uh;
  const sessions = [];
  if (setup) {
    let org;
    ({ org, api_key } = await J("POST", "/v1/admin/orgs", { name: "p", allowed_origins: [origin] }, { authorization: "Bearer " + admin }));
    wt = { "x-widget-token": org.widget_token, origin };
    const { token } = await J("POST", "/v1/users/authenticate", { user_id: "u1", email: "u1@example.com" }, { authorization: "Bearer " + api_key.secret });
    uh = { ...wt, authorization: "Bearer " + token };
    for (let i = 0; i < 3; i++) sessions.push((await J("POST", "/v1/widget/sessions", {}, uh)).session.id);
    for (const s of sessions) await call(fetch, base, "POST", `/v1/widget/sessions/${s}/messages`, { content: "hi" }, uh);
  }
  let k = 0;
  const requests = {
    jwks: (f) => call(f, base, "GET", "/.well-known/jwks.json"),
    list: (f) => call(f, base, "GET", "/v1/widget/sessions", null, uh),
    // With a fresh Idempotency-Key, as the widget sends every message.
    message: (f) => call(f, base, "POST", `/v1/widget/sessions/${sessions[k++ % 3]}/messages`, { content: "hello " + k }, { ...uh, "idempotency-key": crypto.randomUUID() }),
    contacts: (f) => call(f, base, "POST", "/v1/widget/contacts", { device_id: crypto.randomUUID(), name: "x" }, wt),
    auth: (f) => call(f, base, "POST", "/v1/users/authenticate", { user_id: "u" + (k++ % 50) }, { authorization: "Bearer " + api_key.secret }),
  };
  return {
    // load sends n requests of route through f from c clients at once.
    async load(f, route, n, c = 4) {
      const req = requests[route];
      if (!req) throw new Error(`unknown route ${route}: one of ${ROUTES.join(", ")}`);
      let left = n;
      await Promise.all(Array.from({ length: c }, async () => { while (left-- > 0) await req(f); }));
    },
  };
}
