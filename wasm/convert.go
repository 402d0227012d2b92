//go:build js && wasm

package main

import (
	"context"
	"errors"
	"strconv"
	"syscall/js"

	"github.com/chatwidget/identity/internal/widget"
)

// maxDepth bounds how deep a config is read (customData may nest 3 levels;
// a cyclic object stops here), maxArray how many items or keys an array or
// object may have (customData is at most 8 KiB of JSON).
const (
	maxDepth = 8
	maxArray = 10000
)

// unreadable stands for a value that could not be read: a getter or a Proxy
// that threw, or an array too long to be config. It is no JSON value and no
// type any config field takes, so ParseConfig refuses the config.
type unreadable struct{}

// fromJS turns a JavaScript value into what widget.ParseConfig reads: objects
// as map[string]any, arrays as []any, numbers as float64, and functions as a
// widget.TokenFunc (ParseConfig refuses one anywhere but getToken).
func fromJS(h host, v js.Value, depth int) any {
	switch v.Type() {
	case js.TypeBoolean:
		return v.Bool()
	case js.TypeNumber:
		return v.Float()
	case js.TypeString:
		return v.String()
	case js.TypeFunction:
		return tokenFunc(h, v)
	case js.TypeObject:
		if depth >= maxDepth {
			return map[string]any{}
		}
		// Reads go through the host: a getter or a Proxy may throw.
		isArr, ok := h.method(js.Global().Get("Array"), "isArray", v)
		if !ok {
			return unreadable{}
		} else if isArr.Truthy() {
			n, ok := h.get(v, "length")
			// Compared as a float: the core's int is 32 bits (TinyGo on
			// wasm32), and Int() of a length from 2^31 on (an Array may
			// be 2^32-1 long) is a conversion Go leaves to the
			// implementation. TinyGo 0.42 saturates it (the hostile test's
			// longest array was refused before this too); a wrap would
			// pass the bound with a negative length.
			if !ok || n.Type() != js.TypeNumber || !(n.Float() >= 0 && n.Float() <= maxArray) {
				return unreadable{}
			}
			out := make([]any, int(n.Float()))
			for i := range out {
				out[i] = item(h, v, strconv.Itoa(i), depth)
			}
			return out
		}
		keys, ok := h.method(js.Global().Get("Object"), "keys", v)
		if !ok || keys.Length() > maxArray {
			return unreadable{}
		}
		out := make(map[string]any, keys.Length())
		for i := range keys.Length() {
			k := keys.Index(i).String()
			out[k] = item(h, v, k, depth)
		}
		return out
	}
	return nil // undefined, null, symbol, bigint
}

// item is fromJS of o[k], o being at depth.
func item(h host, o js.Value, k string, depth int) any {
	x, ok := h.get(o, k)
	if !ok {
		return unreadable{}
	}
	return fromJS(h, x, depth+1)
}

// tokenFunc wraps the page's getToken: it may return a string or a Promise
// of one, and may throw. It is called as Promise.resolve().then(getToken),
// so that a throw is a rejection and never reaches Go.
func tokenFunc(h host, fn js.Value) widget.TokenFunc {
	return func(ctx context.Context) (string, error) {
		resolved := js.Global().Get("Promise").Call("resolve")
		res, err := await(ctx, h, resolved.Call("then", fn))
		if err != nil {
			return "", err // package widget says it came of getToken
		}
		if res.Type() != js.TypeString {
			return "", errors.New("it returned " + res.Type().String() + ", where it must return (a Promise of) the token, a string")
		}
		return res.String(), nil
	}
}

// await waits for a JavaScript Promise. It must run on a goroutine of its
// own, never in a js.FuncOf callback. A rejection's reason is read through
// h: the page's getToken may reject with anything.
func await(ctx context.Context, h host, p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	onOK := callback(func(a []js.Value) js.Value {
		ch <- result{v: arg(a)}
		return js.Undefined()
	})
	onErr := callback(func(a []js.Value) js.Value {
		ch <- result{err: jsError(h, arg(a))}
		return js.Undefined()
	})
	p.Call("then", onOK.Value, onErr.Value)
	select {
	case r := <-ch:
		onOK.Release()
		onErr.Release()
		return r.v, r.err
	case <-ctx.Done():
		// The callbacks stay alive: the Promise may still settle.
		return js.Undefined(), ctx.Err()
	}
}

func arg(a []js.Value) js.Value {
	if len(a) == 0 {
		return js.Undefined()
	}
	return a[0]
}

// jsError turns a rejection reason into an error with its message.
func jsError(h host, v js.Value) error {
	if v.Type() == js.TypeObject {
		m, ok := h.get(v, "message")
		if ok && m.Type() == js.TypeString {
			return errors.New(m.String())
		}
	}
	if v.Type() == js.TypeString {
		return errors.New(v.String())
	}
	return errors.New("rejected")
}
