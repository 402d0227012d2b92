//go:build js && wasm

// Package cfkv implements kv.KV over a Cloudflare Workers KV namespace binding
// (the js.Value that env.CHAT_KV is), calling the Workers KV JavaScript API
// through syscall/js directly.
//
// It does not use github.com/syumai/workers/cloudflare/kv: that package cannot
// store or list metadata, and it turns a missing key into the string "<null>".
//
// Every call validates its arguments with kv.CheckKey or kv.CheckPut before it
// touches KV, honours ctx (a cancelled ctx returns ctx.Err() at once, even while
// KV has not answered yet), and returns errors rather than panicking, also when
// the JavaScript side throws or the binding is missing.
package cfkv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall/js"
	"time"

	"github.com/chatwidget/identity/internal/kv"
)

// ErrNoBinding is returned when the namespace given to New is not an object,
// typically because wrangler.toml lacks the kv_namespaces binding.
var ErrNoBinding = errors.New("cfkv: KV namespace binding is missing (check kv_namespaces in wrangler.toml)")

// Namespace is a Workers KV namespace. It is safe for concurrent use by many
// goroutines.
type Namespace struct {
	ns js.Value
}

var _ kv.KV = (*Namespace)(nil)

// New wraps a Workers KV namespace binding, for example
// cloudflare.GetBinding("CHAT_KV").
func New(ns js.Value) *Namespace {
	return &Namespace{ns: ns}
}

var (
	jsObject     = js.Global().Get("Object")
	jsUint8Array = js.Global().Get("Uint8Array")
	jsJSON       = js.Global().Get("JSON")
	jsPromise    = js.Global().Get("Promise")
	jsString     = js.Global().Get("String")
)

// Get implements kv.KV. The value is read with type "arrayBuffer"; null (no
// such key, or expired) is found == false.
func (n *Namespace) Get(ctx context.Context, key string) (value []byte, found bool, err error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	if err := kv.CheckKey(key); err != nil {
		return nil, false, err
	}
	if err := n.check(); err != nil {
		return nil, false, err
	}
	defer recoverJS("get", &err)
	opts := jsObject.New()
	opts.Set("type", "arrayBuffer")
	p, err := call(n.ns, "get", key, opts)
	if err != nil {
		return nil, false, err
	}
	v, err := await(ctx, "get", p)
	if err != nil {
		return nil, false, err
	}
	if v.IsNull() || v.IsUndefined() {
		return nil, false, nil
	}
	return bytesFromJS(v), true, nil
}

// Put implements kv.KV. Metadata must be JSON; it is parsed and stored as
// the value KV keeps with the key. A TTL is passed as expirationTtl in whole
// seconds, rounded up.
func (n *Namespace) Put(ctx context.Context, key string, value []byte, opts kv.PutOptions) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := kv.CheckPut(key, value, opts); err != nil {
		return err
	}
	if len(opts.Metadata) > 0 && !json.Valid(opts.Metadata) {
		return errors.New("cfkv: put: metadata is not valid JSON")
	}
	if err := n.check(); err != nil {
		return err
	}
	defer recoverJS("put", &err)
	jsOpts := jsObject.New()
	if len(opts.Metadata) > 0 {
		meta, err := callFn(jsJSON, "parse", string(opts.Metadata))
		if err != nil {
			return fmt.Errorf("cfkv: put: metadata: %w", err)
		}
		jsOpts.Set("metadata", meta)
	}
	if opts.TTL > 0 {
		secs := int64((opts.TTL + time.Second - 1) / time.Second)
		jsOpts.Set("expirationTtl", secs)
	}
	p, err := call(n.ns, "put", key, bytesToJS(value), jsOpts)
	if err != nil {
		return err
	}
	_, err = await(ctx, "put", p)
	return err
}

// List implements kv.KV. Limit 0 (or out of range) means kv.MaxListLimit, as
// for kv.Memory. Metadata comes back as JSON (JSON.stringify of what KV
// returns), or nil for a key stored without metadata.
func (n *Namespace) List(ctx context.Context, opts kv.ListOptions) (res kv.ListResult, err error) {
	if err := ctx.Err(); err != nil {
		return kv.ListResult{}, err
	}
	if err := n.check(); err != nil {
		return kv.ListResult{}, err
	}
	defer recoverJS("list", &err)
	limit := opts.Limit
	if limit <= 0 || limit > kv.MaxListLimit {
		limit = kv.MaxListLimit
	}
	jsOpts := jsObject.New()
	jsOpts.Set("limit", limit)
	if opts.Prefix != "" {
		jsOpts.Set("prefix", opts.Prefix)
	}
	if opts.Cursor != "" {
		jsOpts.Set("cursor", opts.Cursor)
	}
	p, err := call(n.ns, "list", jsOpts)
	if err != nil {
		return kv.ListResult{}, err
	}
	v, err := await(ctx, "list", p)
	if err != nil {
		if opts.Cursor != "" && strings.Contains(strings.ToLower(err.Error()), "cursor") {
			return kv.ListResult{}, fmt.Errorf("%w (%v)", kv.ErrBadCursor, err)
		}
		return kv.ListResult{}, err
	}
	if v.Type() != js.TypeObject {
		return kv.ListResult{}, fmt.Errorf("cfkv: list: unexpected result %s", describe(v))
	}
	keys := v.Get("keys")
	nk := 0
	if keys.Type() == js.TypeObject {
		nk = keys.Length()
	}
	if nk > 0 {
		res.Keys = make([]kv.ListKey, 0, nk)
	}
	for i := 0; i < nk; i++ {
		k := keys.Index(i)
		lk := kv.ListKey{Name: k.Get("name").String()}
		if m := k.Get("metadata"); !m.IsUndefined() && !m.IsNull() {
			s, err := callFn(jsJSON, "stringify", m)
			if err != nil {
				return kv.ListResult{}, fmt.Errorf("cfkv: list: metadata of %q: %w", lk.Name, err)
			}
			if s.Type() == js.TypeString {
				lk.Metadata = []byte(s.String())
			}
		}
		res.Keys = append(res.Keys, lk)
	}
	res.Complete = v.Get("list_complete").Truthy()
	if !res.Complete {
		if c := v.Get("cursor"); c.Type() == js.TypeString {
			res.Cursor = c.String()
		}
		if res.Cursor == "" {
			return kv.ListResult{}, errors.New("cfkv: list: incomplete listing without a cursor")
		}
	}
	return res, nil
}

// Delete implements kv.KV; deleting a missing key is not an error.
func (n *Namespace) Delete(ctx context.Context, key string) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := kv.CheckKey(key); err != nil {
		return err
	}
	if err := n.check(); err != nil {
		return err
	}
	defer recoverJS("delete", &err)
	p, err := call(n.ns, "delete", key)
	if err != nil {
		return err
	}
	_, err = await(ctx, "delete", p)
	return err
}

func (n *Namespace) check() error {
	if n == nil || n.ns.Type() != js.TypeObject {
		return ErrNoBinding
	}
	return nil
}

// settled is the outcome of a promise.
type settled struct {
	v   js.Value
	err error
}

// AwaiterGlobal is the global function worker/runtime/worker.mjs defines so
// that an await costs one Go→JS call: given Go's settle callback it returns
// (p, id) => void, which settles p and calls settle(id, value) when p is
// fulfilled, settle(-id, reason) when it is rejected. Without it (Workers
// forbid eval, so Go cannot define it) each await makes two js.FuncOf.
const AwaiterGlobal = "goPromiseAwaiter"

// awaiter is the one settle callback every await shares, and who waits for
// which id.
var awaiter struct {
	once    sync.Once
	fn      js.Value // (p, id) => void, or undefined
	settle  js.Func
	mu      sync.Mutex
	next    int
	waiting map[int]chan settledRaw
}

// settledRaw is a settlement as the shared callback hands it over: the
// awaiting goroutine turns a rejection into its error.
type settledRaw struct {
	v        js.Value
	rejected bool
}

func setupAwaiter() {
	f := js.Global().Get(AwaiterGlobal)
	if f.Type() != js.TypeFunction {
		awaiter.fn = js.Undefined()
		return
	}
	awaiter.waiting = map[int]chan settledRaw{}
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
			ch <- settledRaw{v: args[1], rejected: rejected}
		}
		return nil
	})
	awaiter.fn = f.Invoke(awaiter.settle)
}

// await waits for the promise (or plain value) p to settle, or for ctx to be
// done. Any number of goroutines may await at once: each call has its own
// buffered channel (and, without the AwaiterGlobal, its own pair of
// callbacks); the callbacks never block (the JavaScript event loop calls
// them), and a promise that settles after its goroutine gave up because ctx
// was cancelled leaves nothing behind.
func await(ctx context.Context, op string, p js.Value) (js.Value, error) {
	awaiter.once.Do(setupAwaiter)
	if awaiter.fn.IsUndefined() {
		return awaitFuncs(ctx, op, p)
	}
	ch := make(chan settledRaw, 1)
	awaiter.mu.Lock()
	awaiter.next++
	if awaiter.next > 1<<52 {
		awaiter.next = 1
	}
	id := awaiter.next
	awaiter.waiting[id] = ch
	awaiter.mu.Unlock()
	forget := func() {
		awaiter.mu.Lock()
		delete(awaiter.waiting, id)
		awaiter.mu.Unlock()
	}
	if err := invokeFn(awaiter.fn, p, id); err != nil {
		forget()
		return js.Value{}, fmt.Errorf("cfkv: %s: %w", op, err)
	}
	select {
	case r := <-ch:
		if r.rejected {
			return js.Value{}, fmt.Errorf("cfkv: %s: %s", op, describe(r.v))
		}
		return r.v, nil
	case <-ctx.Done():
		forget()
		return js.Value{}, ctx.Err()
	}
}

func invokeFn(f js.Value, args ...any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panicError(r)
		}
	}()
	f.Invoke(args...)
	return nil
}

// awaitFuncs is await with a pair of callbacks of its own, which release
// themselves when the promise settles, also when the awaiting goroutine has
// given up because ctx was cancelled.
func awaitFuncs(ctx context.Context, op string, p js.Value) (js.Value, error) {
	ch := make(chan settled, 1)
	var onFulfilled, onRejected js.Func
	release := func() {
		onFulfilled.Release()
		onRejected.Release()
	}
	onFulfilled = js.FuncOf(func(_ js.Value, args []js.Value) any {
		release()
		v := js.Undefined()
		if len(args) > 0 {
			v = args[0]
		}
		ch <- settled{v: v}
		return nil
	})
	onRejected = js.FuncOf(func(_ js.Value, args []js.Value) any {
		release()
		reason := js.Undefined()
		if len(args) > 0 {
			reason = args[0]
		}
		ch <- settled{err: fmt.Errorf("cfkv: %s: %s", op, describe(reason))}
		return nil
	})
	// Promise.resolve accepts promises, thenables and plain values alike.
	if _, err := callFn(jsPromise.Call("resolve", p), "then", onFulfilled, onRejected); err != nil {
		release()
		return js.Value{}, fmt.Errorf("cfkv: %s: %w", op, err)
	}
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return js.Value{}, ctx.Err()
	}
}

// call calls method on v, turning a JavaScript exception into an error.
func call(v js.Value, method string, args ...any) (res js.Value, err error) {
	res, err = callFn(v, method, args...)
	if err != nil {
		err = fmt.Errorf("cfkv: %s: %w", method, err)
	}
	return res, err
}

func callFn(v js.Value, method string, args ...any) (res js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panicError(r)
		}
	}()
	return v.Call(method, args...), nil
}

// recoverJS turns a panic of syscall/js (a thrown exception, or a value of an
// unexpected type) into an error; it must be deferred directly.
func recoverJS(op string, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("cfkv: %s: %w", op, panicError(r))
	}
}

func panicError(r any) error {
	switch e := r.(type) {
	case js.Error:
		return errors.New(describe(e.Value))
	case error:
		return e
	default:
		return fmt.Errorf("%v", r)
	}
}

// describe renders a thrown or rejected JavaScript value for an error message.
func describe(v js.Value) (s string) {
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

func bytesToJS(b []byte) js.Value {
	u := jsUint8Array.New(len(b))
	if len(b) > 0 {
		js.CopyBytesToJS(u, b)
	}
	return u
}

func bytesFromJS(v js.Value) []byte {
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
