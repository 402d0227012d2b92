//go:build js && wasm

package bridge

import (
	"context"
	"errors"
	"syscall/js"
)

// await waits for promise p, or for ctx. Any number of goroutines may await
// at once: each call has its own channel and callbacks.
func await(ctx context.Context, p js.Value) (js.Value, error) {
	type settled struct {
		v   js.Value
		err error
	}
	ch := make(chan settled, 1)
	var onOK, onErr js.Func
	release := func() { onOK.Release(); onErr.Release() }
	onOK = js.FuncOf(func(_ js.Value, args []js.Value) any {
		release()
		ch <- settled{v: args[0]}
		return nil
	})
	onErr = js.FuncOf(func(_ js.Value, args []js.Value) any {
		release()
		ch <- settled{err: errors.New(js.Global().Get("String").Invoke(args[0]).String())}
		return nil
	})
	jsPromise.Call("resolve", p).Call("then", onOK, onErr)
	select {
	case s := <-ch:
		return s.v, s.err
	case <-ctx.Done():
		return js.Value{}, ctx.Err()
	}
}
