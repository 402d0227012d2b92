//go:build js && wasm

package main

import "syscall/js"

// host is what widget.js hands the core for calls into the page that may
// throw. Its call(o, k, args) catches what JavaScript throws and returns
// {v: o[k](...args)}, or {v: o[k]} when args is undefined, or {e: error}.
//
// The core does not rely on recover for such calls. With Go's compiler an
// exception thrown inside a property read unwinds through Go's frames and
// cannot be recovered, and TinyGo (CORE_COMPILER=tinygo) has no recover on
// WebAssembly at all: either way it would stop the core for good. A page's
// config may hold a getter or a Proxy that throws; its localStorage throws
// when it is full or refused.
type host struct{ call js.Value }

// hostFrom reads the host argument of ChatWidgetCore.create. Without one
// (a widget.js older than this core), calls are made directly and a throw is
// recovered where the compiler can.
func hostFrom(v js.Value) host {
	if v.Type() == js.TypeObject && v.Get("call").Type() == js.TypeFunction {
		return host{call: v.Get("call")}
	}
	return host{}
}

// get reads o[k] and reports whether that threw (a getter, a Proxy).
func (h host) get(o js.Value, k string) (js.Value, bool) {
	return h.do(o, k, nil)
}

// method calls o[k](args...) and reports whether that threw.
func (h host) method(o js.Value, k string, args ...any) (js.Value, bool) {
	if args == nil {
		args = []any{}
	}
	return h.do(o, k, args)
}

func (h host) do(o js.Value, k string, args []any) (v js.Value, ok bool) {
	if h.call.IsUndefined() {
		defer func() {
			if recover() != nil {
				v, ok = js.Undefined(), false
			}
		}()
		if args == nil {
			return o.Get(k), true
		}
		return o.Call(k, args...), true
	}
	var a any = js.Undefined()
	if args != nil {
		a = args
	}
	r := h.call.Invoke(o, k, a)
	if r.Type() != js.TypeObject || !r.Get("e").IsUndefined() {
		return js.Undefined(), false
	}
	return r.Get("v"), true
}
