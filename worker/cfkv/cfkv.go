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

// New wraps a Workers KV namespace binding, for example the isolate's
// env.CHAT_KV (worker/main.go).
func New(ns js.Value) *Namespace {
	return &Namespace{ns: ns}
}

var (
	jsObject = js.Global().Get("Object")
	jsArray  = js.Global().Get("Array")

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
	v, err := n.run(ctx, "get", key, getOptions)
	if err != nil {
		return nil, false, err
	}
	if v.IsNull() || v.IsUndefined() {
		return nil, false, nil
	}
	return jscall.BytesFromJS(v), true, nil
}

var _ kv.ManyGetter = (*Namespace)(nil)

// GetMany implements kv.ManyGetter with Workers KV's bulk read,
// get(keys, {type: "text"}): one operation for up to kv.MaxGetMany keys.
// glue.js hands its Map over as JSON text, a key with no value as null.
func (n *Namespace) GetMany(ctx context.Context, keys []string) (values map[string][]byte, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := kv.CheckGetMany(keys); err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return map[string][]byte{}, nil
	}
	if err := n.check(); err != nil {
		return nil, err
	}
	defer recoverJS("getMany", &err)
	arr := jsArray.New(len(keys))
	for i, k := range keys {
		arr.SetIndex(i, k)
	}
	v, err := n.run(ctx, "getMany", arr)
	if err != nil {
		return nil, err
	}
	if v.Type() != js.TypeString {
		return nil, fmt.Errorf("cfkv: getMany: unexpected result %s", jscall.Describe(v))
	}
	var texts map[string]*string
	if err := json.Unmarshal([]byte(v.String()), &texts); err != nil {
		return nil, fmt.Errorf("cfkv: getMany: unexpected result: %w", err)
	}
	values = make(map[string][]byte, len(texts))
	for k, t := range texts {
		if t != nil {
			values[k] = []byte(*t)
		}
	}
	return values, nil
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
	var ttl int64 // whole seconds, rounded up; 0 for none
	if opts.TTL > 0 {
		ttl = int64((opts.TTL + time.Second - 1) / time.Second)
	}
	// glue.js builds the options: it parses the metadata and sets
	// expirationTtl when ttl > 0.
	var meta any // null: no metadata
	if len(opts.Metadata) > 0 {
		meta = string(opts.Metadata)
	}
	_, err = n.run(ctx, "put", key, jscall.BytesToJS(value), meta, ttl)
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
	v, err := n.run(ctx, "list", jsOpts)
	if err != nil {
		if opts.Cursor != "" && strings.Contains(strings.ToLower(err.Error()), "cursor") {
			return kv.ListResult{}, fmt.Errorf("%w (%v)", kv.ErrBadCursor, err)
		}
		return kv.ListResult{}, err
	}
	if v.Type() != js.TypeString {
		return kv.ListResult{}, fmt.Errorf("cfkv: list: unexpected result %s", jscall.Describe(v))
	}
	return decodeList([]byte(v.String()))
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
	_, err = n.run(ctx, "delete", key)
	return err
}

// kvAwaiter is glue.js's goKVAwaiter, nil when glue.js is not loaded.
var kvAwaiter = sync.OnceValue(func() *jscall.Awaiter { return jscall.NewAwaiter(KVAwaiterGlobal) })

// opNames are the KV methods' names as JavaScript strings, made once rather
// than at every call.
var opNames = map[string]js.Value{}

func init() {
	for _, op := range []string{"get", "getMany", "put", "list", "delete"} {
		opNames[op] = js.ValueOf(op)
	}
}

// KVAwaiterGlobal is the global function worker/runtime/glue.js defines for
// a KV call in one Go→JS call (see jscall.Awaiter): it hands a get's value
// over as a Uint8Array and a list's result as JSON text.
const KVAwaiterGlobal = "goKVAwaiter"

// run calls the namespace's method op with args through glue.js's
// goKVAwaiter and waits for its outcome.
func (n *Namespace) run(ctx context.Context, op string, args ...any) (js.Value, error) {
	a := kvAwaiter()
	if a == nil {
		return js.Value{}, fmt.Errorf("cfkv: %s: %w", op, jscall.ErrNoGlue)
	}
	v, err := a.Call(ctx, append([]any{n.ns, opNames[op]}, args...)...)
	if err != nil && ctx.Err() == nil {
		err = fmt.Errorf("cfkv: %s: %w", op, err)
	}
	return v, err
}

func (n *Namespace) check() error {
	if n == nil || n.ns.Type() != js.TypeObject {
		return ErrNoBinding
	}
	return nil
}

// recoverJS turns a panic of syscall/js into an error naming op; it must be
// deferred directly.
func recoverJS(op string, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("cfkv: %s: %w", op, jscall.PanicError(r))
	}
}
