//go:build js && wasm

package main

import (
	"context"
	"errors"
	"syscall/js"

	"github.com/chatwidget/identity/internal/widget"
)

// maxDepth bounds how deep a config is read (customData may nest 3 levels;
// a cyclic object stops here).
const maxDepth = 8

// fromJS turns a JavaScript value into what widget.ParseConfig reads: objects
// as map[string]any, arrays as []any, numbers as float64, and functions as a
// widget.TokenFunc.
func fromJS(v js.Value, depth int) any {
	switch v.Type() {
	case js.TypeBoolean:
		return v.Bool()
	case js.TypeNumber:
		return v.Float()
	case js.TypeString:
		return v.String()
	case js.TypeFunction:
		return tokenFunc(v)
	case js.TypeObject:
		if depth >= maxDepth {
			return map[string]any{}
		}
		if js.Global().Get("Array").Call("isArray", v).Bool() {
			n := v.Length()
			out := make([]any, n)
			for i := range n {
				out[i] = fromJS(v.Index(i), depth+1)
			}
			return out
		}
		keys := js.Global().Get("Object").Call("keys", v)
		out := make(map[string]any, keys.Length())
		for i := range keys.Length() {
			k := keys.Index(i).String()
			out[k] = fromJS(v.Get(k), depth+1)
		}
		return out
	}
	return nil // undefined, null, symbol, bigint
}

var errBadToken = errors.New("getToken must return (a Promise of) a string")

// tokenFunc wraps the page's getToken: it may return a string or a Promise
// of one, and may throw.
func tokenFunc(fn js.Value) widget.TokenFunc {
	return func(ctx context.Context) (tok string, err error) {
		defer func() {
			if r := recover(); r != nil {
				err = errors.New("getToken threw an exception")
			}
		}()
		res, err := await(ctx, js.Global().Get("Promise").Call("resolve", fn.Invoke()))
		if err != nil {
			return "", errors.Join(errors.New("getToken failed"), err)
		}
		if res.Type() != js.TypeString {
			return "", errBadToken
		}
		return res.String(), nil
	}
}

// await waits for a JavaScript Promise. It must run on a goroutine of its
// own, never in a js.FuncOf callback.
func await(ctx context.Context, p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	onOK := js.FuncOf(func(_ js.Value, a []js.Value) any {
		ch <- result{v: arg(a)}
		return nil
	})
	onErr := js.FuncOf(func(_ js.Value, a []js.Value) any {
		ch <- result{err: jsError(arg(a))}
		return nil
	})
	p.Call("then", onOK, onErr)
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
func jsError(v js.Value) error {
	if v.Type() == js.TypeObject {
		if m := v.Get("message"); m.Type() == js.TypeString {
			return errors.New(m.String())
		}
	}
	if v.Type() == js.TypeString {
		return errors.New(v.String())
	}
	return errors.New("rejected")
}
