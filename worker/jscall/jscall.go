//go:build js && wasm

// Package jscall is how the worker's Go code calls JavaScript: awaiting a
// promise from a goroutine, calling a method with a thrown exception turned
// into an error, and moving bytes across. The worker's packages that call
// JavaScript (bridge, cfkv, cffetch, cfqueue, cfratelimit, webcrypto) share
// it, so that they share one settle callback.
package jscall

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"syscall/js"
	"time"
)

// AwaiterGlobal is the global function worker/runtime/glue.js defines so that
// an await costs one Go→JS call: given Go's settle callback it returns
// (p, id) => void, which settles p and calls settle(id, value) when p is
// fulfilled, settle(-id, reason) when it is rejected. glue.js is the one
// protocol at this boundary (Workers forbid eval, so Go cannot define it):
// without it every await fails with ErrNoGlue.
const AwaiterGlobal = "goPromiseAwaiter"

// ErrNoGlue: worker/runtime/glue.js was not loaded, so there is no awaiter.
var ErrNoGlue = errors.New("jscall: worker/runtime/glue.js is not loaded")

var (
	jsString     = js.Global().Get("String")
	jsUint8Array = js.Global().Get("Uint8Array")
)

// awaiter is the one settle callback every await shares, and who waits for
// which id.
var awaiter struct {
	once    sync.Once
	fn      *Awaiter // goPromiseAwaiter's, or nil
	settle  js.Func
	mu      sync.Mutex
	next    int
	waiting map[int]chan settled
}

// settled is a settlement as the shared callback hands it over: the awaiting
// goroutine turns a rejection into its error.
type settled struct {
	v        js.Value
	rejected bool
}

// setupSettle makes the shared settle callback, once.
func setupSettle() {
	awaiter.waiting = map[int]chan settled{}
	// The callback never blocks: a waiter's channel has room for its one
	// settlement, and a waiter that gave up (ctx) has left the map, so its
	// late settlement is dropped.
	awaiter.settle = js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) < 2 {
			return nil
		}
		id, rejected := args[0].Int(), false
		if id < 0 {
			id, rejected = -id, true
		}
		awaiter.mu.Lock()
		ch, ok := awaiter.waiting[id]
		delete(awaiter.waiting, id)
		awaiter.mu.Unlock()
		if ok {
			ch <- settled{v: args[1], rejected: rejected}
		}
		return nil
	})
	awaiter.fn = newAwaiter(AwaiterGlobal)
}

// An Awaiter is a JavaScript function that starts something asynchronous and
// reports how it ended through the settle callback every await shares: glue.js
// defines a global that, given settle, returns it. Called with its arguments
// and then an id, it calls settle(id, value) when it is fulfilled and
// settle(-id, reason) when it is rejected. goPromiseAwaiter (Await) is one;
// worker/cfkv's KV call is another, which saves a Go→JS call per KV call.
type Awaiter struct{ fn js.Value }

// NewAwaiter returns the Awaiter that the global function name makes, or nil
// when there is no such function (glue.js was not loaded).
func NewAwaiter(name string) *Awaiter {
	awaiter.once.Do(setupSettle)
	return newAwaiter(name)
}

func newAwaiter(name string) *Awaiter {
	f := js.Global().Get(name)
	if f.Type() != js.TypeFunction {
		return nil
	}
	return &Awaiter{fn: f.Invoke(awaiter.settle)}
}

// Await waits for the promise (or plain value) p to settle, or for ctx to be
// done, and returns the value it was fulfilled with. A rejection is an error
// describing the reason; a done ctx is ctx.Err().
//
// Any number of goroutines may await at once: each call has its own buffered
// channel; the shared callback never blocks (the JavaScript event loop calls
// it), and a promise that settles after its goroutine gave up leaves nothing
// behind.
func Await(ctx context.Context, p js.Value) (js.Value, error) {
	awaiter.once.Do(setupSettle)
	if awaiter.fn == nil {
		return js.Value{}, ErrNoGlue
	}
	return awaiter.fn.Call(ctx, p)
}

// Call calls the awaiter with args and an id, and waits for the outcome as
// Await does.
func (a *Awaiter) Call(ctx context.Context, args ...any) (js.Value, error) {
	ch := make(chan settled, 1)
	awaiter.mu.Lock()
	// Ids stay within 31 bits, so that one goes to JavaScript and back
	// whatever int is (32 bits under TinyGo), skipping any still awaited.
	for {
		awaiter.next++
		if awaiter.next > math.MaxInt32 {
			awaiter.next = 1
		}
		if _, used := awaiter.waiting[awaiter.next]; !used {
			break
		}
	}
	id := awaiter.next
	awaiter.waiting[id] = ch
	awaiter.mu.Unlock()
	forget := func() {
		awaiter.mu.Lock()
		delete(awaiter.waiting, id)
		awaiter.mu.Unlock()
	}
	if _, err := Invoke(a.fn, append(args, id)...); err != nil {
		forget()
		return js.Value{}, err
	}
	return wait(ctx, ch, forget)
}

// wait returns the settlement ch receives, a rejection as an error, or
// ctx.Err() after calling gaveUp (if any) when ctx is done first.
func wait(ctx context.Context, ch <-chan settled, gaveUp func()) (js.Value, error) {
	select {
	case r := <-ch:
		if r.rejected {
			return js.Value{}, errors.New(Describe(r.v))
		}
		return r.v, nil
	case <-ctx.Done():
		if gaveUp != nil {
			gaveUp()
		}
		return js.Value{}, ctx.Err()
	}
}

// Call calls method on v, turning a thrown exception (or a v without such a
// method) into an error.
func Call(v js.Value, method string, args ...any) (res js.Value, err error) {
	defer Recover(&err)
	return v.Call(method, args...), nil
}

// Invoke calls the function f, turning a thrown exception into an error.
func Invoke(f js.Value, args ...any) (res js.Value, err error) {
	defer Recover(&err)
	return f.Invoke(args...), nil
}

// Recover turns a panic of syscall/js (a thrown exception, or a value of an
// unexpected type) into *err. Defer it directly: defer jscall.Recover(&err).
func Recover(err *error) {
	if r := recover(); r != nil {
		*err = PanicError(r)
	}
}

// PanicError turns a recovered panic of syscall/js into an error.
func PanicError(r any) error {
	switch e := r.(type) {
	case js.Error:
		return errors.New(Describe(e.Value))
	case error:
		return e
	default:
		return fmt.Errorf("%v", r)
	}
}

// Describe renders a thrown or rejected JavaScript value for an error message.
func Describe(v js.Value) (s string) {
	defer func() {
		if recover() != nil {
			s = v.Type().String()
		}
	}()
	switch v.Type() {
	case js.TypeUndefined, js.TypeNull:
		return v.Type().String()
	}
	return jsString.Invoke(v).String()
}

// BytesToJS copies b into a new Uint8Array.
func BytesToJS(b []byte) js.Value {
	u := jsUint8Array.New(len(b))
	if len(b) > 0 {
		js.CopyBytesToJS(u, b)
	}
	return u
}

// BytesFromJS copies a Uint8Array or an ArrayBuffer into a new slice.
func BytesFromJS(v js.Value) []byte {
	u := v
	if !v.InstanceOf(jsUint8Array) {
		u = jsUint8Array.New(v) // ArrayBuffer
	}
	b := make([]byte, u.Length())
	if len(b) > 0 {
		js.CopyBytesToGo(b, u)
	}
	return b
}

var jsScheduler = js.Global().Get("scheduler")

// Sleep waits d on a timer of the request that asks (workerd's
// scheduler.wait), so that the goroutine goes on in that request's
// JavaScript context, as every wait of a request's goroutine must (workerd
// cancels, as hung, a request whose promise another request's callback
// settles). It returns ctx.Err() when ctx is done first.
func Sleep(ctx context.Context, d time.Duration) error {
	p, err := Call(jsScheduler, "wait", float64(d.Milliseconds()))
	if err != nil {
		return err
	}
	_, err = Await(ctx, p)
	return err
}
