//go:build js && wasm

// Command wasm is the widget core for the browser (widget-core.wasm): it
// hands package widget to widget.js through syscall/js, with fetch,
// localStorage and crypto.getRandomValues as its transport, storage and
// random source. It holds wiring only; the behaviour is in internal/widget.
//
// It defines globalThis.ChatWidgetCore:
//
//	ChatWidgetCore.create(config, defaultApiUrl, host)
//	  -> {error: {message, options: [...]}}
//	   | {widget, warnings: [...], status}
//
// where widget has status(), newKey(), newChatKey(), pending(), logout() and
// release(), which return at once, and start(), submitForm(name, email),
// sessions(), session(id, after), sync(id, after),
// send({sessionId, chatKey, key, content}) and flush(), which return
// Promises. A rejected Promise carries {code, message, field?}, the message
// a sentence for the visitor. unlisted(sessions) is what the list shows as
// sending besides sessions (what sessions() resolved to). release() lets go
// of the widget: its methods then answer what a widget with nobody chatting
// and nothing pending would (status() an empty Status, pending() [],
// newKey() ""), or a Promise rejected with code "released", and ends the
// widget's own work: the flushes of what a getToken-only page's user left
// unsent (Widget.Resume, from create on) and of what a claim left unsent
// (Widget.Drain, after claim and offerClaim). ChatWidgetCore.widgets() is
// how many widgets are not released, for tests. ChatWidgetCore.logout(host)
// is ChatWidget.logout() before any init: it forgets what the widget of
// every org keeps in localStorage.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"syscall/js"

	"github.com/chatwidget/identity/internal/conc"
	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/widget"
)

func main() {
	core := object()
	create := callback(create)
	core.Set("create", create.Value)
	core.Set("version", "1")
	count := callback(func(args []js.Value) js.Value {
		return js.ValueOf(widgets.len())
	})
	core.Set("widgets", count.Value)
	logout := callback(logoutAll)
	core.Set("logout", logout.Value)
	js.Global().Set("ChatWidgetCore", core)
	select {}
}

// callback is js.FuncOf for the core's functions, which need no this.
//
// The JavaScript values the core is handed stay in wasm_exec.js's table
// until Go lets go of them; TinyGo's syscall/js does that with a finalizer
// on each value, which its GC runs (a collection every 32 new values at
// least: TinyGo's runtime/gc_finalizer.go). The core frees nothing by hand;
// the hold test (wasm/browsertest) checks that it lets go of them.
func callback(fn func(args []js.Value) js.Value) js.Func {
	return js.FuncOf(func(_ js.Value, args []js.Value) any {
		return fn(args)
	})
}

// logoutAll is ChatWidgetCore.logout(host): ChatWidget.logout() called
// before any init forgets every org's widget on this browser (its device
// ids, contact tokens, outboxes and claim marks: widget.ForgetAll), so
// that the next visitor starts clean. (After init, ChatWidget.logout() is
// the widget's Logout.) It logs when localStorage cannot be listed.
func logoutAll(args []js.Value) js.Value {
	var hostVal js.Value
	if len(args) > 0 {
		hostVal = args[0]
	}
	h := hostFrom(hostVal)
	if !widget.ForgetAll(openStorage(h)) {
		h.log("ChatWidget: logout() before init forgot nothing: this browser's localStorage cannot be listed.")
		return js.ValueOf(false)
	}
	return js.ValueOf(true)
}

// create validates the page's config and returns the widget for it.
func create(args []js.Value) (out js.Value) {
	defer func() {
		if r := recover(); r != nil {
			out = wrapError(configError(errors.New("ChatWidget.init: the config could not be read"), nil))
		}
	}()
	var cfgVal, def, hostVal js.Value
	if len(args) > 0 {
		cfgVal = args[0]
	}
	if len(args) > 1 && args[1].Type() == js.TypeString {
		def = args[1]
	}
	if len(args) > 2 {
		hostVal = args[2]
	}
	h := hostFrom(hostVal)
	raw := fromJS(h, cfgVal, 0)
	m, _ := raw.(map[string]any)
	defURL := ""
	if def.Truthy() {
		defURL = def.String()
	}
	cfg, err := widget.ParseConfig(m, defURL)
	if err != nil {
		var ce *widget.ConfigError
		var opts []string
		if errors.As(err, &ce) {
			opts = ce.Options()
		}
		return wrapError(configError(err, opts))
	}
	w := widget.New(cfg, widget.Deps{
		Transport: fetchTransport{h},
		Storage:   openStorage(h),
		Random:    cryptoRandom{},
		Log:       h.log,
		Origin:    pageOrigin(h),
	})
	res := object()
	res.Set("widget", handle(w, h))
	res.Set("warnings", toJS(append([]string{}, cfg.Warnings...)))
	res.Set("status", toJS(w.Status()))
	return res
}

// work is an asynchronous call of the widget, its arguments already read.
type work func(ctx context.Context) (any, error)

// promise runs fn on a goroutine (a js.FuncOf callback must not block) and
// returns a Promise of its result.
func (h host) promise(fn work) js.Value {
	var p, resolve, reject js.Value
	if h.deferred.IsUndefined() {
		executor := callback(func(args []js.Value) js.Value {
			resolve, reject = args[0], args[1]
			return js.Undefined()
		})
		p = js.Global().Get("Promise").New(executor.Value)
		executor.Release() // the executor runs inside the constructor
	} else {
		d := h.deferred.Invoke()
		p, resolve, reject = d.Get("promise"), d.Get("resolve"), d.Get("reject")
	}
	conc.Go(func() {
		v, err := safely(fn)
		settle, r := resolve, js.Value{}
		if err != nil {
			h.detail(err)
			settle, r = reject, errorObject(err, nil)
		} else {
			r = toJS(v)
		}
		settle.Invoke(r)
	})
	return p
}

func safely(fn work) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("widget core: internal error")
		}
	}()
	return fn(context.Background())
}

// detail writes what err says for the site's developer to the console:
// the visitor sees a sentence of widget.VisitorMessage only. The same line
// twice in a row is written once (a poll of a refused chat fails every 2 s);
// a network error is written once per widget, and a getToken's failure
// where it happens, by package widget; a form error is the visitor's own to fix.
func (h host) detail(err error) {
	var fe *widget.FormError
	if errors.As(err, &fe) || errors.Is(err, widget.ErrNetwork) || errors.Is(err, errReleased) ||
		errors.Is(err, widget.ErrNeedsUserData) || errors.Is(err, widget.ErrGetToken) || errors.Is(err, context.Canceled) {
		return
	}
	line := "ChatWidget: " + err.Error()
	lastDetail.Lock()
	same := lastDetail.line == line
	lastDetail.line = line
	lastDetail.Unlock()
	if !same {
		h.log(line)
	}
}

var lastDetail struct {
	sync.Mutex
	line string
}

// configError is errorObject for the config's refusal, whose message is
// for the site's developer (widget.js logs it).
func configError(err error, options []string) js.Value {
	o := errorObject(err, options)
	o.Set("message", err.Error())
	return o
}

// errorObject is err for JavaScript: {code, message, field?, options?},
// where message is a sentence for the visitor (widget.VisitorMessage),
// shown in the panel.
func errorObject(err error, options []string) js.Value {
	o := object()
	code, msg := "error", widget.VisitorMessage(err)
	var fe *widget.FormError
	var ae *widget.APIError
	var ie *identity.Error
	switch {
	case errors.As(err, &fe):
		code = "invalid_form"
		o.Set("field", fe.Field)
	case errors.Is(err, widget.ErrInvalidConfig):
		code = "invalid_config"
	case errors.Is(err, errReleased):
		code, msg = "released", "This chat was closed."
	case errors.Is(err, widget.ErrNeedsUserData):
		code = "needs_user_data"
	case errors.Is(err, widget.ErrNoUserToken):
		code = "no_user_token"
	case errors.As(err, &ae):
		code = string(ae.Code)
		o.Set("status", ae.Status)
	case errors.Is(err, widget.ErrNetwork):
		code = "network"
		// wait: how long the panel waits before it tries again, in ms.
		o.Set("wait", float64(max(widget.RetryIn(err), widget.PanelRetry).Milliseconds()))
	case errors.As(err, &ie):
		code = string(ie.Code)
	}
	if code == "" {
		code = "error"
	}
	o.Set("code", code)
	o.Set("message", msg)
	if options != nil {
		o.Set("options", toJS(options))
	}
	return o
}

// wrapError is {error: e}.
func wrapError(e js.Value) js.Value {
	res := object()
	res.Set("error", e)
	return res
}

// toJS turns a Go value into a plain JavaScript value through JSON.
func toJS(v any) js.Value {
	b, err := json.Marshal(v)
	if err != nil {
		return js.Null()
	}
	return js.Global().Get("JSON").Call("parse", string(b))
}

func object() js.Value { return construct("Object") }

func newArray() js.Value { return construct("Array") }

// construct is new globalThis[name]().
func construct(name string) js.Value {
	return js.Global().Get(name).New()
}

func str(args []js.Value, i int) string {
	if i < len(args) && args[i].Type() == js.TypeString {
		return args[i].String()
	}
	return ""
}

func prop(v js.Value, name string) string {
	p := v.Get(name)
	if p.Type() == js.TypeString {
		return p.String()
	}
	return ""
}
