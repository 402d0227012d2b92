/* ChatWidget: init(config), open(), close(), logout(), forget(). init loads the Go core
   (wasm_exec.js, widget-core.wasm) from this script's folder; the UI is in an open shadow root. */
(function () {
  "use strict";
  if (window.ChatWidget) return;
  var W = window, D = document, P = Promise;
  var src = D.currentScript && D.currentScript.src;
  var BASE = src ? new URL(".", src).href : "";
  var ORIGIN = src ? new URL(src).origin : "";
  var modPromise, corePromise, inst, gen = 0;
  // V names the core's version (make build defines CORE_VERSION): the core's
  // files are served for browsers to keep, and a new version has new URLs.
  var V = typeof CORE_VERSION == "string" ? "?v=" + CORE_VERSION : "";

  function log(m) { console.error("ChatWidget: " + m); }

  // HOST is what the core calls back (wasm/host.go). call lets it read and
  // call into the page without a throw reaching it: call(o, k) is {v: o[k]},
  // call(o, k, args) is {v: o[k](...args)}, and either is {e} when it throws.
  // deferred and fetch save the core calls back into Go: deferred() is a
  // Promise with its resolve and reject (no executor to call), and
  // fetch(url, init) settles once, with {status, retryAfter, body}, where
  // fetch and text would settle twice.
  // (BEGIN HOST: wasm/browsertest/testdata/hold.cjs runs this part under Node.)
  var HOST = {
    call: function (o, k, a) { try { return { v: a ? o[k].apply(o, a) : o[k] }; } catch (e) { return { e: e }; } },
    deferred: function () { var d = {}; d.promise = new P(function (ok, ko) { d.resolve = ok; d.reject = ko; }); return d; },
    fetch: function (url, init) {
      return new P(function (ok) { ok(fetch(url, init)); }).then(function (r) { // a throw is a rejection
        return r.text().then(function (t) { return { status: r.status, retryAfter: r.headers.get("Retry-After"), body: t }; });
      });
    }
  };
  // (END HOST)

  function loadScript(url) {
    return new P(function (ok, ko) {
      var s = D.createElement("script");
      s.src = url; s.async = true;
      s.onload = function () { s.remove(); ok(); };
      s.onerror = function () { ko(new Error("cannot load " + url)); };
      D.head.appendChild(s);
    });
  }

  // compile fetches and compiles the core's module once per page, with no
  // change to the page: it starts with this script, before init.
  function compile(base) {
    if (modPromise) return modPromise;
    var url = base + "widget-core.wasm" + V, get = function () { return fetch(url, { credentials: "omit" }); };
    return modPromise = (WebAssembly.compileStreaming ? WebAssembly.compileStreaming(get()) : P.reject()).catch(function () {
      return get().then(function (r) {
        if (!r.ok) throw new Error("cannot load " + url);
        return r.arrayBuffer();
      }).then(function (b) { return WebAssembly.compile(b); });
    }).catch(function (e) { modPromise = null; throw e; });
  }

  // loadCore starts the Go core once per page; wasm_exec.js loads while the
  // module compiles.
  function loadCore(base) {
    if (corePromise) return corePromise;
    // The page's own Go (its wasm_exec.js, another toolchain's) cannot run this
    // core: ours defines W.Go, which is given back to the page once used.
    var G = W.Go;
    return corePromise = P.all([loadScript(base + "wasm_exec.js" + V), compile(base)]).then(function (x) {
      var go = new W.Go();
      W.Go = G;
      return WebAssembly.instantiate(x[1], go.importObject).then(function (i) { go.run(i); return W.ChatWidgetCore; });
    }).catch(function (e) { corePromise = null; throw e; });
  }

  // h builds an element: h("button", {"data-widget": "send", onclick: fn}, "Send").
  function h(tag, attrs) {
    var el = D.createElement(tag), k, i, c;
    for (k of Object.keys(attrs || {})) { // own keys: a page may add enumerable ones to Object.prototype
      if (k.slice(0, 2) == "on") el.addEventListener(k.slice(2), attrs[k]);
      else if (attrs[k] != null) el.setAttribute(k, attrs[k]);
    }
    for (i = 2; i < arguments.length; i++) {
      c = arguments[i];
      if (c != null) el.append(c);
    }
    return el;
  }

  var STYLE =
    ":host{all:initial!important;position:fixed!important;right:20px!important;bottom:20px!important;z-index:2147483000!important;display:block!important}" +
    "*{box-sizing:border-box;font:14px/1.4 system-ui,sans-serif;color:#1f2330;margin:0}" +
    "button{cursor:pointer;border:0;border-radius:8px;background:#3b5bdb;color:#fff;padding:8px 12px}" +
    "button:disabled{opacity:.6}" +
    "[data-widget=launcher]{width:56px;height:56px;border-radius:50%;padding:0;display:grid;place-items:center;box-shadow:0 4px 14px #0003;float:right}" +
    ".p{position:absolute;right:0;bottom:68px;width:340px;height:480px;max-height:calc(100vh - 100px);max-width:calc(100vw - 40px);background:#fff;border-radius:12px;box-shadow:0 8px 30px #0004;display:flex;flex-direction:column;overflow:hidden}" +
    ".p[hidden]{display:none}" +
    "header{display:flex;align-items:center;gap:8px;padding:10px 12px;background:#3b5bdb}header *{color:#fff}header span{flex:1;font-weight:600}" +
    "header button{background:none;padding:2px 6px;font-size:18px}" +
    ".b{flex:1;overflow:auto;padding:12px;display:flex;flex-direction:column;gap:8px}" +
    "form{display:flex;flex-direction:column;gap:8px}label{display:flex;flex-direction:column;gap:2px;font-size:12px}" +
    "input,textarea{border:1px solid #c5c9d6;border-radius:8px;padding:8px;background:#fff;width:100%;resize:none}" +
    "[data-widget=error],.n{color:#c92a2a;font-size:13px}" +
    "ul,ol{list-style:none;padding:0;display:flex;flex-direction:column;gap:6px}" +
    "[data-widget=session]{width:100%;text-align:left;background:#f1f3f9;color:#1f2330}" +
    "[data-widget=message]{max-width:80%;padding:8px 10px;border-radius:10px;background:#f1f3f9;white-space:pre-wrap;overflow-wrap:anywhere}" +
    "[data-role=user]{align-self:flex-end;background:#3b5bdb;color:#fff}[data-pending]{opacity:.6}[data-failed]{background:#c92a2a}" +
    ".c{display:flex;gap:6px;padding:8px;border-top:1px solid #e3e6ee;flex-direction:row}" +
    ".m{flex:1}small{font-size:11px;opacity:.7;color:inherit;display:block}";

  // Widget is the UI of one init(config). Its launcher shows at once; ready
  // resolves to the core's widget once the core has accepted the config.
  function Widget(ready) {
    var self = this, host = h("chat-widget"), root = host.attachShadow({ mode: "open" });
    var w = null, panel, body, title, back, compose, launcher, chat = null, timer = 0, bg = 0, dead = false;
    // A constructed stylesheet: a page's Content-Security-Policy (style-src,
    // default-src) does not govern it, where it would block a <style>.
    try { var css = new CSSStyleSheet(); css.replaceSync(STYLE); root.adoptedStyleSheets = [css]; } catch (e) { root.append(h("style", null, STYLE)); }
    root.append(
      panel = h("section", { "class": "p", role: "dialog", "aria-label": "Chat", hidden: "" },
        h("header", null,
          back = h("button", { "aria-label": "Back", onclick: function () { list(); } }, "\u2190"),
          title = h("span", null, "Chat"),
          h("button", { "aria-label": "Close", onclick: function () { self.close(); } }, "\u00d7")),
        body = h("div", { "class": "b" })),
      launcher = h("button", { "data-widget": "launcher", "aria-label": "Chat with us", onclick: function () { self.toggle(); } }));
    launcher.innerHTML = '<svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true"><path fill="#fff" d="M4 3h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z"/></svg>';
    (D.body || D.documentElement).appendChild(host);

    function view(name, showBack) {
      stop();
      chat = null;
      if (compose) compose.remove();
      body.replaceChildren();
      title.textContent = name;
      back.hidden = !showBack;
    }
    // note shows an error; a network one says the view is tried again, and
    // again, is (when again is given) after e.wait ms (the core's backoff:
    // 3 s, then longer while the worker stays unreachable), until the view is left.
    function note(e, again) {
      var m = (e && e.message) || "Something went wrong.";
      if (e && e.code == "network") {
        m = "The chat service cannot be reached. Retrying\u2026";
        if (again) timer = setTimeout(again, e.wait);
      }
      body.append(h("p", { "class": "n", role: "alert" }, m));
    }
    function stop() { clearTimeout(timer); timer = 0; }

    // form: the collectUserData name/email form.
    function form() {
      view("Welcome");
      var s = w.status().prefill, err = null, name, email, start;
      body.append(h("form", { novalidate: "", onsubmit: function (ev) {
        ev.preventDefault();
        start.disabled = true;
        w.submitForm(name.value, email.value).then(open1, function (e) {
          start.disabled = false;
          if (err) err.remove();
          start.before(err = h("p", { "data-widget": "error", role: "alert" }, e.message));
          (e.field == "name" ? name : email).focus();
        });
      } },
        h("p", null, "Please tell us who you are before we chat."),
        h("label", null, "Name", name = h("input", { "data-widget": "name", autocomplete: "name", value: s.name || "" })),
        h("label", null, "Email", email = h("input", { "data-widget": "email", type: "email", autocomplete: "email", value: s.email || "" })),
        start = h("button", { "data-widget": "start", type: "submit" }, "Start chat")));
    }

    // list: past sessions and the new-chat button.
    function list() {
      view("Conversations");
      var ul = h("ul", { "aria-busy": "true" });
      body.append(h("button", { "data-widget": "new-session", onclick: function () { open2("", null); } }, "New chat"), ul);
      w.sessions().then(function (ss) {
        ul.removeAttribute("aria-busy");
        // What a previous page left unsent shows as sending until the worker has it.
        var pend = w.unlisted(ss);
        if (!ss.length && !pend.length) ul.append(h("li", null, h("small", null, "No conversations yet.")));
        pend.forEach(function (p) {
          ul.append(h("li", null, h("button", { "data-widget": "session", "data-pending": "", onclick: function () { open2(p.session_id || "", p.session_id ? null : p.chat_key); } },
            p.content.slice(0, 80), h("small", null, "Sending\u2026"))));
        });
        if (pend.length) timer = setTimeout(function () {
          w.flush().then(function (r) { if (ul.isConnected) r.sent.length ? list() : (timer = setTimeout(list, 3000)); });
        }, 0);
        ss.forEach(function (s) {
          var lm = s.last_message;
          ul.append(h("li", null, h("button", { "data-widget": "session", "data-id": s.id, onclick: function () { open2(s.id, null); } },
            lm ? lm.content.slice(0, 80) : "New conversation",
            h("small", null, new Date(s.updated_at || s.created_at).toLocaleString()))));
        });
        if (ss.length && w.status().mode != "verified") body.append(h("button", { "data-widget": "forget", onclick: function () {
          this.replaceWith(h("button", { "data-widget": "forget-confirm", onclick: function () { self.forget().then(function () { self.close(); }, note); } }, "Delete all my conversations for good?"));
        } }, "Delete my conversations"));
      }, function (e) { ul.removeAttribute("aria-busy"); note(e, list); });
    }

    // ask: the claim prompt (claimChats "ask"), answered once per user and device.
    function ask(o) {
      view("Conversations");
      var n = o.count + (o.more ? "+" : "");
      body.append(h("p", null, "Add " + (n == 1 ? "the conversation" : "the " + n + " conversations") + " from this browser to your account?"),
        h("button", { "data-widget": "claim", onclick: function () { w.claim().then(list, function (e) { list(); note(e); }); } }, "Add them"),
        h("button", { "data-widget": "claim-decline", onclick: function () { w.declineClaim(); list(); } }, "No thanks"));
    }

    // open2: the chat view of session id, or of a new chat when id is "".
    function open2(id, key) {
      view("Chat", true);
      var c = chat = { id: id, key: key || (id ? "" : w.newChatKey()), last: "", ol: h("ol", { "aria-live": "polite" }) }, input, send;
      body.append(c.ol);
      panel.append(compose = h("form", { "class": "c", onsubmit: function (ev) {
        ev.preventDefault();
        var text = input.value, k = w.newKey();
        if (!text.trim()) return;
        input.value = "";
        var li = add(c, { role: "user", content: text }, k);
        w.send({ sessionId: c.id, chatKey: c.key, content: text, key: k }).then(function (r) { settle(c, r); background(); }, function (e) {
          settle(c, { key: k, error: e.message }); // refused before it was queued, such as too long:
          if (!input.value) input.value = text; // failed, not pending, and the text is kept to edit
        });
      } },
        input = h("textarea", { "data-widget": "message-input", rows: 2, "class": "m", placeholder: "Write a message\u2026", "aria-label": "Message",
          onkeydown: function (ev) { if (ev.key == "Enter" && !ev.shiftKey) { ev.preventDefault(); send.click(); } } }),
        send = h("button", { "data-widget": "send", type: "submit" }, "Send")));
      w.pending().forEach(function (p) {
        if ((id && p.session_id == id) || (c.key && p.chat_key == c.key)) add(c, { role: "user", content: p.content }, p.key);
      });
      (id ? w.session(id, "") : P.resolve({ messages: [] })).then(function (r) {
        if (chat != c) return;
        var first = c.ol.firstChild;
        r.messages.forEach(function (m) { show(c, m, first); });
        poll(c);
      }, function (e) { note(e); poll(c); });
      input.focus();
    }

    // add appends a message; a user message with a key is pending until the worker has it.
    function add(c, m, key, before) {
      var li = h("li", { "data-widget": "message", "data-role": m.role, "data-id": m.id, "data-key": key, "data-pending": key ? "" : null }, m.content);
      c.ol.insertBefore(li, before || null);
      body.scrollTop = 1e9;
      return li;
    }
    function find(c, attr, v) {
      return v ? c.ol.querySelector("[" + attr + '="' + CSS.escape(v) + '"]') : null;
    }
    // show displays a message of the worker once, adopting the pending one it came from.
    function show(c, m, before) {
      if (m.id > c.last) c.last = m.id;
      if (find(c, "data-id", m.id)) return;
      var li = [].find.call(c.ol.querySelectorAll("[data-pending]"), function (x) { return m.role == "user" && x.textContent == m.content; });
      if (li) { li.removeAttribute("data-pending"); li.setAttribute("data-id", m.id); }
      else add(c, m, null, before);
    }
    // settle applies what became of one sent message.
    function settle(c, r) {
      if (c != chat) return;
      if (!c.id && r.sessionId && (!c.key || r.chatKey == c.key)) c.id = r.sessionId;
      var li = find(c, "data-key", r.key);
      if (!li) return;
      if (r.message) {
        if (find(c, "data-id", r.message.id)) li.remove();
        else { li.removeAttribute("data-pending"); li.setAttribute("data-id", r.message.id); }
        if (r.message.id > c.last) c.last = r.message.id;
      } else if (r.error) {
        li.removeAttribute("data-pending");
        li.setAttribute("data-failed", "");
        li.append(h("small", null, r.error));
      }
    }
    // poll flushes the outbox and fetches new messages every 2 s while the chat is shown.
    function poll(c) {
      stop();
      timer = setTimeout(function () {
        if (chat != c || dead) return;
        if (D.hidden) return poll(c);
        w.sync(c.id, c.last).then(function (r) {
          r.flush.sent.concat(r.flush.failed).forEach(function (x) { settle(c, x); });
          if (chat == c) r.messages.forEach(function (m) { show(c, m); });
        }, function () {}).then(function () { if (chat == c) poll(c); });
      }, 2000);
    }
    // background sends what a previous page left in the outbox, even with the panel closed.
    function background() {
      clearTimeout(bg);
      if (dead || !w || !w.pending().length) return;
      bg = setTimeout(function () {
        (chat ? P.resolve() : w.flush()).then(background, background);
      }, 5000);
    }

    // open1 shows the first view: the form, or the list once the credential is there.
    function open1() {
      view("Chat");
      if (w && w.status().needsForm) return form();
      body.append(h("small", null, "Connecting\u2026"));
      if (!w) return; // ready opens it again
      w.start().then(function (s) {
        if (s.needsForm) return form();
        w.offerClaim().then(function (o) { if (o.ask) ask(o); else list(); }, list);
      }, function (e) { note(e, open1); });
    }

    self.open = function () {
      if (!panel.hidden) return;
      panel.hidden = false;
      open1();
    };
    self.close = function () { panel.hidden = true; view("Chat"); background(); };
    self.toggle = function () { if (panel.hidden) self.open(); else self.close(); };
    self.logout = function () { ready.then(function (x) { x.logout(); }, function () {}); self.close(); };
    self.forget = function () { return ready.then(function (x) { return x.forget(); }); };
    self.destroy = function () {
      dead = true; stop(); clearTimeout(bg); host.remove();
      ready.then(function (x) { if (x.release) x.release(); }, function () {}); // the core lets go of it
    };
    ready.then(function (x) {
      w = x;
      if (!panel.hidden) open1();
      background();
    }, function () {});
  }

  // plausible is a quick look at a config, so that the launcher can show
  // before the core has checked it; the core's verdict is the one that counts
  // (a config it refuses takes the launcher away again).
  function plausible(c) {
    try { return look(c); } catch (e) { return false; } // a getter may throw: the core will say so
  }
  // It is stricter than the core where that is cheap, so that a config the
  // core refuses rarely shows a launcher at all (the page is left alone);
  // one it wrongly doubts only shows once the core has accepted it.
  function look(c) {
    var u = c && c.user, d = u && u.data, t = u && u.token, p = c && c.prefillUserData;
    function is(x, t) { return x == null || typeof x == t; }
    function o(x) { return is(x, "object") && !Array.isArray(x); }
    function s(x, r) { return is(x, "string") && (x == null || r.test(x)); }
    function who(x) { return o(x) && s(x && x.email, /^(?=[!-~]+$)[^@]+@[^@.]+(\.[^@.]+)+$/); }
    return !!c && o(c) && !!c.token && s(c.token, /^pk_[\w-]{24,}$/) && is(c.collectUserData, "boolean") &&
      s(c.apiUrl, /^https?:\/\/[^?#\s]+$/i) && s(c.externalId, /^[^\0-\x1f\x7f]{1,256}$/) &&
      s(c.claimChats, /^(never|ask|always)$/) && who(p) && o(u) && (!u || (t == null) != (d == null)) &&
      s(t, /^[^.\s]+\.[^.\s]+\.[^.\s]+$/) && (d == null || who(d) && o(d.customData)) &&
      is(c.getToken, "function") && !(c.getToken && d);
  }

  var wantOpen = false;
  W.ChatWidget = {
    // init resolves to true, or to false when the config was refused (logged).
    init: function (config) {
      var my = ++gen, base = BASE;
      if (inst) { inst.destroy(); inst = null; }
      try { if (!base && config && typeof config.apiUrl == "string") base = config.apiUrl.replace(/\/*$/, "/"); } catch (e) {}
      if (!base) { log("cannot tell where widget.js was loaded from: set apiUrl."); return P.resolve(false); }
      var verdict = loadCore(base).then(function (core) {
        if (my != gen) return null;
        var r = core.create(config, ORIGIN, HOST);
        if (r.error) { log(r.error.message); return null; }
        r.warnings.forEach(function (m) { console.warn(m); });
        return r.widget;
      }, function (e) { log("the widget core could not be loaded (" + e.message + ")."); return null; })
        .catch(function (e) { log(e.message); return null; });
      var ready = verdict.then(function (w) { if (!w) throw 0; return w; });
      ready.catch(function () {}); // a refusal is logged once, by verdict
      var shown = false;
      function show() { shown = true; inst = new Widget(ready); if (wantOpen) inst.open(); }
      if (plausible(config)) show();
      return verdict.then(function (w) {
        if (my != gen) { if (w && !shown && w.release) w.release(); return false; } // a shown one is released by destroy
        if (!w) { if (inst) { inst.destroy(); inst = null; } return false; }
        if (!inst) show();
        return true;
      });
    },
    open: function () { wantOpen = true; if (inst) inst.open(); },
    close: function () { wantOpen = false; if (inst) inst.close(); },
    // logout before init (no widget token to name) forgets every org's
    // widget on this browser, in the core: ChatWidgetCore.logout.
    logout: function () { inst ? inst.logout() : BASE ? loadCore(BASE).then(function (c) { c.logout(HOST); }, log) : log("logout: call init first."); },
    forget: function () { return inst ? inst.forget().then(function () { inst && inst.close(); }) : P.reject(new Error("ChatWidget.init first")); }
  };
  // The core's module starts loading with this script, before the page calls init.
  if (BASE) compile(BASE).catch(function () {});
})();
