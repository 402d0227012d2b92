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
// where widget has status(), newKey(), newChatKey(), pending() and logout(), which
// return at once, and start(), submitForm(name, email), sessions(),
// session(id, after), sync(id, after), send({sessionId, chatKey, key, content})
// and flush(), which return Promises. A rejected Promise carries
// {code, message, field?}.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"syscall/js"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/widget"
)

func main() {
	core := object()
	core.Set("create", js.FuncOf(create))
	core.Set("version", "1")
	js.Global().Set("ChatWidgetCore", core)
	select {}
}

// create validates the page's config and returns the widget for it.
func create(_ js.Value, args []js.Value) (out any) {
	defer func() {
		if r := recover(); r != nil {
			out = wrapError(errorObject(errors.New("ChatWidget.init: the config could not be read"), nil))
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
		return wrapError(errorObject(err, opts))
	}
	w := widget.New(cfg, widget.Deps{
		Transport: fetchTransport{},
		Storage:   openStorage(h),
		Random:    cryptoRandom{},
	})
	res := object()
	res.Set("widget", handle(w))
	res.Set("warnings", toJS(append([]string{}, cfg.Warnings...)))
	res.Set("status", toJS(w.Status()))
	return res
}

// handle exposes one widget to JavaScript.
func handle(w *widget.Widget) js.Value {
	h := object()
	sync := func(name string, fn func(args []js.Value) any) {
		h.Set(name, js.FuncOf(func(_ js.Value, args []js.Value) (out any) {
			defer func() {
				if r := recover(); r != nil {
					out = js.Null()
				}
			}()
			return toJS(fn(args))
		}))
	}
	async := func(name string, fn func(ctx context.Context, args []js.Value) (any, error)) {
		h.Set(name, js.FuncOf(func(_ js.Value, args []js.Value) any {
			return promise(func(ctx context.Context) (any, error) { return fn(ctx, args) })
		}))
	}

	sync("status", func([]js.Value) any { return w.Status() })
	sync("newChatKey", func([]js.Value) any {
		k, _ := w.NewChatKey()
		return k
	})
	sync("newKey", func([]js.Value) any {
		k, _ := w.NewKey()
		return k
	})
	sync("pending", func([]js.Value) any { return w.Pending() })
	sync("logout", func([]js.Value) any { w.Logout(); return w.Status() })

	async("start", func(ctx context.Context, _ []js.Value) (any, error) { return w.Start(ctx) })
	async("submitForm", func(ctx context.Context, a []js.Value) (any, error) {
		return w.SubmitForm(ctx, str(a, 0), str(a, 1))
	})
	async("sessions", func(ctx context.Context, _ []js.Value) (any, error) { return w.Sessions(ctx) })
	async("session", func(ctx context.Context, a []js.Value) (any, error) { return w.Session(ctx, str(a, 0), str(a, 1)) })
	async("sync", func(ctx context.Context, a []js.Value) (any, error) { return w.Sync(ctx, str(a, 0), str(a, 1)) })
	async("flush", func(ctx context.Context, _ []js.Value) (any, error) { return w.Flush(ctx), nil })
	async("send", func(ctx context.Context, a []js.Value) (any, error) {
		var d widget.Draft
		if len(a) > 0 && a[0].Type() == js.TypeObject {
			d = widget.Draft{SessionID: prop(a[0], "sessionId"), ChatKey: prop(a[0], "chatKey"), Content: prop(a[0], "content"), Key: prop(a[0], "key")}
		}
		return w.Send(ctx, d)
	})
	return h
}

// promise runs fn on its own goroutine (a js.FuncOf callback must not block)
// and returns a Promise of its result.
func promise(fn func(ctx context.Context) (any, error)) js.Value {
	executor := js.FuncOf(func(_ js.Value, args []js.Value) any {
		resolve, reject := args[0], args[1]
		go func() {
			v, err := safely(fn)
			if err != nil {
				reject.Invoke(errorObject(err, nil))
				return
			}
			resolve.Invoke(toJS(v))
		}()
		return nil
	})
	p := js.Global().Get("Promise").New(executor)
	executor.Release() // the executor runs inside the constructor
	return p
}

func safely(fn func(ctx context.Context) (any, error)) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("widget core: internal error")
		}
	}()
	return fn(context.Background())
}

// errorObject is err for JavaScript: {code, message, field?, options?}.
func errorObject(err error, options []string) js.Value {
	o := object()
	code, msg := "error", err.Error()
	var fe *widget.FormError
	var ae *widget.APIError
	var ie *identity.Error
	switch {
	case errors.As(err, &fe):
		code = "invalid_form"
		o.Set("field", fe.Field)
	case errors.Is(err, widget.ErrInvalidConfig):
		code = "invalid_config"
	case errors.Is(err, widget.ErrNeedsUserData):
		code = "needs_user_data"
	case errors.Is(err, widget.ErrNoUserToken):
		code = "no_user_token"
	case errors.As(err, &ae):
		code, msg = string(ae.Code), ae.Message
		if msg == "" {
			msg = ae.Error()
		}
		o.Set("status", ae.Status)
	case errors.Is(err, widget.ErrNetwork):
		code, msg = "network", widget.ErrNetwork.Error()
	case errors.As(err, &ie):
		code, msg = string(ie.Code), ie.Message
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

func object() js.Value { return js.Global().Get("Object").New() }

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
