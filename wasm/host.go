//go:build js && wasm

package main

import "syscall/js"

// host is what widget.js hands the core (its HOST). Its call(o, k, args)
// catches what JavaScript throws and returns {v: o[k](...args)}, or {v: o[k]}
// when args is undefined, or {e: error}.
//
// The core does not rely on recover for such calls. With Go's compiler an
// exception thrown inside a property read unwinds through Go's frames and
// cannot be recovered, and TinyGo, which compiles the core, has no recover on
// WebAssembly at all: either way it would stop the core for good. A page's
// config may hold a getter or a Proxy that throws; its localStorage throws
// when it is full or refused.
//
// Its deferred() and fetch(url, init) spare the core calls back into Go
// (wasm/tinygo/README.md says what those cost under TinyGo). deferred() is
// {promise, resolve, reject}, made without an executor; fetch settles once
// with {status, retryAfter, body}.
type host struct{ call, deferred, fetch js.Value }

// hostFrom reads the host argument of ChatWidgetCore.create. What it lacks
// (a widget.js older than this core) the core does itself: calls are made
// directly and a throw is recovered where the compiler can, Promises are made
// with an executor, and fetch's answer is read in two steps. The host's
// functions are kept for the core's lifetime.
func hostFrom(v js.Value) host {
	if v.Type() != js.TypeObject {
		return host{}
	}
	fn := func(name string) js.Value {
		f := v.Get(name)
		if f.Type() != js.TypeFunction {
			return js.Undefined()
		}
		return f
	}
	return host{call: fn("call"), deferred: fn("deferred"), fetch: fn("fetch")}
}

// get reads o[k] and reports whether that threw (a getter, a Proxy).
func (h host) get(o js.Value, k string) (js.Value, bool) {
	return h.do(o, k, nil)
}

// method calls o[k](args...) and reports whether that threw. Arguments are
// strings or values.
func (h host) method(o js.Value, k string, args ...any) (js.Value, bool) {
	if args == nil {
		args = []any{}
	}
	return h.do(o, k, args)
}

func (h host) do(o js.Value, k string, args []any) (v js.Value, ok bool) {
	var a js.Value // undefined: a read
	if args != nil {
		a = newArray()
		for i, x := range args {
			a.SetIndex(i, x)
		}
	}
	if h.call.IsUndefined() {
		defer func() {
			if recover() != nil {
				v, ok = js.Undefined(), false
			}
		}()
		if args == nil {
			return o.Get(k), true
		}
		return o.Get(k).Call("apply", o, a), true
	}
	r := h.call.Invoke(o, k, a)
	if r.Type() != js.TypeObject || !r.Get("e").IsUndefined() {
		return js.Undefined(), false
	}
	return r.Get("v"), true
}

// log writes msg to the console as an error, for the site's developer.
func (h host) log(msg string) {
	if c, ok := h.get(js.Global(), "console"); ok && c.Type() == js.TypeObject {
		h.method(c, "error", msg)
	}
}

// pageOrigin is location.origin, "" when it cannot be read.
func pageOrigin(h host) string {
	if l, ok := h.get(js.Global(), "location"); ok && l.Type() == js.TypeObject {
		if o, ok := h.get(l, "origin"); ok && o.Type() == js.TypeString {
			return o.String()
		}
	}
	return ""
}
