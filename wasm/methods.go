//go:build js && wasm

package main

import (
	"context"
	"errors"
	"math"
	"strconv"
	"sync"
	"syscall/js"

	"github.com/chatwidget/identity/internal/conc"
	"github.com/chatwidget/identity/internal/widget"
)

// A widget's methods are the same js.Func for every widget, made once per
// core and bound to the widget's id (Function.prototype.bind, which needs no
// eval). So a widget the page is done with holds no js.Func: each
// ChatWidget.init makes a new widget, and release forgets the old one. A
// call to a released widget finds no id: one that returns at once answers
// what a widget with nobody chatting and nothing pending would (status() an
// empty Status, pending() [], newKey() ""), since widget.js may still be
// drawing a panel of it when a newer init releases it (an answer of the
// worker arriving after release) and reads the fields of what it gets; one
// that returns a Promise is refused. A released js.Func would stop the core.

// handle exposes one widget to JavaScript: an object of the core's methods
// bound to the widget's id. It starts the widget's own work
// (Widget.Resume), which release ends.
func handle(w *widget.Widget, hst host) js.Value {
	life, stop := context.WithCancel(context.Background())
	conc.Go(func() { w.Resume(life) })
	id := widgets.add(&live{w: w, host: hst, life: life, stop: stop})
	h := object()
	for _, m := range methods() {
		bound := m.fn.Value.Call("bind", js.Null(), id)
		h.Set(m.name, bound)
	}
	return h
}

// live is a widget the page has not released, with the host it was made for.
type live struct {
	w    *widget.Widget
	host host
	// life ends with release: the widget's own work (Resume, Drain) runs
	// under it.
	life context.Context
	stop context.CancelFunc
}

// widgets holds the widgets by id.
var widgets = registry{byID: map[int]*live{}}

type registry struct {
	mu   sync.Mutex
	next int
	byID map[int]*live
}

func (r *registry) add(l *live) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	r.byID[r.next] = l
	return r.next
}

// get is the widget whose id is args[0], nil when there is none.
func (r *registry) get(args []js.Value) *live {
	id, ok := widgetID(args)
	if !ok {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byID[id]
}

func (r *registry) remove(args []js.Value) {
	id, ok := widgetID(args)
	if !ok {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if l := r.byID[id]; l != nil {
		l.stop()
	}
	delete(r.byID, id)
}

// widgetID reads args[0] as an id: a whole number an int holds (32 bits
// under TinyGo), so that no other number converts to a live widget's id.
func widgetID(args []js.Value) (int, bool) {
	if len(args) == 0 || args[0].Type() != js.TypeNumber {
		return 0, false
	}
	f := args[0].Float()
	if !(f >= 1 && f <= math.MaxInt32) || f != math.Trunc(f) {
		return 0, false
	}
	return int(f), true
}

func (r *registry) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byID)
}

// method is one of a widget's methods: its name and the js.Func every
// widget's is bound from.
type method struct {
	name string
	fn   js.Func
}

// errReleased answers a call to a released widget.
var errReleased = errors.New("this widget was released (a newer ChatWidget.init replaced it)")

// methods makes the methods once.
var methods = sync.OnceValue(func() []method {
	var ms []method
	add := func(name string, fn func(args []js.Value) js.Value) {
		ms = append(ms, method{name: name, fn: callback(fn)})
	}
	// now's empty is its answer for a released widget (and for a panic,
	// where the compiler can recover one): of the type fn returns.
	now := func(name string, empty any, fn func(w *widget.Widget) any) {
		add(name, func(args []js.Value) (out js.Value) {
			l := widgets.get(args)
			if l == nil {
				return toJS(empty)
			}
			defer func() {
				if r := recover(); r != nil {
					out = toJS(empty)
				}
			}()
			return toJS(fn(l.w))
		})
	}
	// later's read runs in the callback, so the arguments (after the id)
	// are read before the work starts on its own goroutine.
	later := func(name string, read func(w *widget.Widget, args []js.Value) work) {
		add(name, func(args []js.Value) js.Value {
			l := widgets.get(args)
			if l == nil {
				return rejected(errReleased)
			}
			fn := read(l.w, args[1:])
			return l.host.promise(fn)
		})
	}

	now("status", widget.Status{}, func(w *widget.Widget) any { return w.Status() })
	now("newChatKey", "", func(w *widget.Widget) any {
		k, _ := w.NewChatKey()
		return k
	})
	now("newKey", "", func(w *widget.Widget) any {
		k, _ := w.NewKey()
		return k
	})
	now("pending", []widget.OutboxEntry{}, func(w *widget.Widget) any { return w.Pending() })
	// unlisted(sessions): what the list shows as sending besides sessions,
	// an array of the sessions that sessions() resolved to.
	add("unlisted", func(args []js.Value) (out js.Value) {
		l := widgets.get(args)
		if l == nil {
			return toJS([]widget.OutboxEntry{})
		}
		var ids []string
		if len(args) > 1 {
			if ss, ok := l.host.get(args[1], "length"); ok && ss.Type() == js.TypeNumber {
				for i := range min(ss.Int(), 10000) {
					if s, ok := l.host.get(args[1], strconv.Itoa(i)); ok && s.Type() == js.TypeObject {
						if id, ok := l.host.get(s, "id"); ok && id.Type() == js.TypeString {
							ids = append(ids, id.String())
						}
					}
				}
			}
		}
		return toJS(l.w.Unlisted(ids))
	})
	now("logout", widget.Status{}, func(w *widget.Widget) any { w.Logout(); return w.Status() })
	now("declineClaim", false, func(w *widget.Widget) any { w.DeclineClaim(); return true })
	add("release", func(args []js.Value) js.Value {
		widgets.remove(args)
		return js.Undefined()
	})

	later("start", func(w *widget.Widget, _ []js.Value) work {
		return func(ctx context.Context) (any, error) { return w.Start(ctx) }
	})
	// A claim may leave the user messages that no flush of the panel is
	// due to send (another tab's, or its own when the worker was
	// unreachable): the widget drains them itself.
	claiming := func(name string, fn func(w *widget.Widget, ctx context.Context) (any, error)) {
		add(name, func(args []js.Value) js.Value {
			l := widgets.get(args)
			if l == nil {
				return rejected(errReleased)
			}
			return l.host.promise(func(ctx context.Context) (any, error) {
				v, err := fn(l.w, ctx)
				conc.Go(func() { l.w.Drain(l.life) })
				return v, err
			})
		})
	}
	claiming("offerClaim", func(w *widget.Widget, ctx context.Context) (any, error) { return w.OfferClaim(ctx) })
	claiming("claim", func(w *widget.Widget, ctx context.Context) (any, error) { return w.Claim(ctx) })
	later("submitForm", func(w *widget.Widget, a []js.Value) work {
		name, email := str(a, 0), str(a, 1)
		return func(ctx context.Context) (any, error) { return w.SubmitForm(ctx, name, email) }
	})
	later("forget", func(w *widget.Widget, _ []js.Value) work {
		return func(ctx context.Context) (any, error) {
			if err := w.Forget(ctx); err != nil {
				return nil, err
			}
			return w.Status(), nil
		}
	})
	later("sessions", func(w *widget.Widget, _ []js.Value) work {
		return func(ctx context.Context) (any, error) { return w.Sessions(ctx) }
	})
	later("session", func(w *widget.Widget, a []js.Value) work {
		id, after := str(a, 0), str(a, 1)
		return func(ctx context.Context) (any, error) { return w.Session(ctx, id, after) }
	})
	later("sync", func(w *widget.Widget, a []js.Value) work {
		id, after := str(a, 0), str(a, 1)
		return func(ctx context.Context) (any, error) { return w.Sync(ctx, id, after) }
	})
	later("flush", func(w *widget.Widget, _ []js.Value) work {
		return func(ctx context.Context) (any, error) { return w.Flush(ctx), nil }
	})
	later("send", func(w *widget.Widget, a []js.Value) work {
		var d widget.Draft
		if len(a) > 0 && a[0].Type() == js.TypeObject {
			d = widget.Draft{SessionID: prop(a[0], "sessionId"), ChatKey: prop(a[0], "chatKey"), Content: prop(a[0], "content"), Key: prop(a[0], "key")}
		}
		return func(ctx context.Context) (any, error) { return w.Send(ctx, d) }
	})
	return ms
})

// rejected is a Promise rejected with err's object.
func rejected(err error) js.Value {
	return js.Global().Get("Promise").Call("reject", errorObject(err, nil))
}
