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
	"errors"
	"fmt"
	"strings"
	"syscall/js"
	"time"

	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/worker/jscall"
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
	jsObject = js.Global().Get("Object")
	jsJSON   = js.Global().Get("JSON")

	// getOptions is every Get's {type: "arrayBuffer"}, made once: KV only
	// reads it.
	getOptions = func() js.Value {
		o := jsObject.New()
		o.Set("type", "arrayBuffer")
		return o
	}()
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
	p, err := call(n.ns, "get", key, getOptions)
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
	return jscall.BytesFromJS(v), true, nil
}

// Put implements kv.KV. Metadata must be JSON: JSON.parse reads it (and
// refuses anything else) and KV stores the value with the key as
// metadata. A TTL is passed as expirationTtl in whole
// seconds, rounded up.
func (n *Namespace) Put(ctx context.Context, key string, value []byte, opts kv.PutOptions) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := kv.CheckPut(key, value, opts); err != nil {
		return err
	}
	if err := n.check(); err != nil {
		return err
	}
	defer recoverJS("put", &err)
	jsOpts := jsObject.New()
	if len(opts.Metadata) > 0 {
		meta, err := jscall.Call(jsJSON, "parse", string(opts.Metadata))
		if err != nil {
			return fmt.Errorf("cfkv: put: metadata: %w", err)
		}
		jsOpts.Set("metadata", meta)
	}
	if opts.TTL > 0 {
		secs := int64((opts.TTL + time.Second - 1) / time.Second)
		jsOpts.Set("expirationTtl", secs)
	}
	p, err := call(n.ns, "put", key, jscall.BytesToJS(value), jsOpts)
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
		return kv.ListResult{}, fmt.Errorf("cfkv: list: unexpected result %s", jscall.Describe(v))
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
			s, err := jscall.Call(jsJSON, "stringify", m)
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

// await is jscall.Await, its errors (but ctx's) naming the operation.
func await(ctx context.Context, op string, p js.Value) (js.Value, error) {
	v, err := jscall.Await(ctx, p)
	if err != nil && ctx.Err() == nil {
		err = fmt.Errorf("cfkv: %s: %w", op, err)
	}
	return v, err
}

// call calls method on v, turning a JavaScript exception into an error.
func call(v js.Value, method string, args ...any) (js.Value, error) {
	res, err := jscall.Call(v, method, args...)
	if err != nil {
		err = fmt.Errorf("cfkv: %s: %w", method, err)
	}
	return res, err
}

// recoverJS turns a panic of syscall/js into an error naming op; it must be
// deferred directly.
func recoverJS(op string, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("cfkv: %s: %w", op, jscall.PanicError(r))
	}
}
