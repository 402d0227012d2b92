//go:build js && wasm

package jscall

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall/js"
	"testing"
	"time"

	"github.com/chatwidget/identity/worker/runtime/gluetest"
)

func init() { gluetest.Load() }

// withGlue runs f with glue.js's awaiter and checks that it left nothing
// waiting.
func withGlue(t *testing.T, f func(t *testing.T)) {
	f(t)
	if awaiter.fn == nil {
		t.Fatal("the awaiter was not used")
	}
	// A late settlement of a waiter that gave up arrives on a later turn:
	// let it come, then nothing may be left.
	time.Sleep(80 * time.Millisecond)
	awaiter.mu.Lock()
	defer awaiter.mu.Unlock()
	if n := len(awaiter.waiting); n != 0 {
		t.Fatalf("%d awaits left waiting", n)
	}
}

var js0 = js.Global().Get("Function")

// later returns a function of (value, reject, ms) making a promise that
// settles after ms.
var later = js0.New(`return (v, reject, ms) => new Promise((ok, no) => setTimeout(() => reject ? no(v) : ok(v), ms));`).Invoke()

func TestAwait(t *testing.T) {
	withGlue(t, func(t *testing.T) {
		ctx := context.Background()
		v, err := Await(ctx, later.Invoke("hello", false, 1))
		if err != nil || v.String() != "hello" {
			t.Fatalf("fulfilled: %v, %v", v, err)
		}
		v, err = Await(ctx, js.ValueOf(42))
		if err != nil || v.Int() != 42 {
			t.Fatalf("plain value: %v, %v", v, err)
		}
		_, err = Await(ctx, later.Invoke(js.Global().Get("Error").New("backend down"), true, 1))
		if err == nil || !strings.Contains(err.Error(), "backend down") {
			t.Fatalf("rejected: %v", err)
		}
		_, err = Await(ctx, later.Invoke(js.Null(), true, 1))
		if err == nil || err.Error() != "null" {
			t.Fatalf("rejected with null: %v", err)
		}
	})
}

func TestAwaitContext(t *testing.T) {
	withGlue(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := Await(ctx, later.Invoke(1, false, 1)); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled: %v", err)
		}
		ctx, cancel = context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		if _, err := Await(ctx, later.Invoke(1, false, 50)); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("deadline: %v", err)
		}
		never := js.Global().Get("Promise").New(js.FuncOf(func(js.Value, []js.Value) any { return nil }))
		ctx, cancel = context.WithTimeout(context.Background(), 5*time.Millisecond)
		defer cancel()
		if _, err := Await(ctx, never); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("never settles: %v", err)
		}
	})
}

func TestConcurrentAwaits(t *testing.T) {
	withGlue(t, func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for i := range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v, err := Await(context.Background(), later.Invoke(fmt.Sprint(i), i%3 == 0, (100-i)%7))
				switch {
				case i%3 == 0 && (err == nil || err.Error() != fmt.Sprint(i)):
					errs <- fmt.Errorf("await %d: rejection %v", i, err)
				case i%3 != 0 && (err != nil || v.String() != fmt.Sprint(i)):
					errs <- fmt.Errorf("await %d: %v, %v", i, v, err)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

func TestCallAndInvoke(t *testing.T) {
	obj := js0.New(`return { ok(a) { return a + 1; }, boom() { throw new TypeError("sync boom"); } };`).Invoke()
	if v, err := Call(obj, "ok", 1); err != nil || v.Int() != 2 {
		t.Fatalf("Call ok: %v, %v", v, err)
	}
	if _, err := Call(obj, "boom"); err == nil || !strings.Contains(err.Error(), "TypeError: sync boom") {
		t.Fatalf("Call boom: %v", err)
	}
	if _, err := Call(obj, "missing"); err == nil {
		t.Fatal("Call of a missing method succeeded")
	}
	if _, err := Invoke(obj.Get("boom")); err == nil || !strings.Contains(err.Error(), "sync boom") {
		t.Fatalf("Invoke boom: %v", err)
	}
	if _, err := Invoke(js.ValueOf(3)); err == nil {
		t.Fatal("Invoke of a number succeeded")
	}
}

func TestBytes(t *testing.T) {
	for _, b := range [][]byte{nil, {0}, []byte("hello, 世界")} {
		u := BytesToJS(b)
		if got := BytesFromJS(u); string(got) != string(b) {
			t.Errorf("Uint8Array round trip of %q: %q", b, got)
		}
		if got := BytesFromJS(u.Get("buffer")); string(got) != string(b) {
			t.Errorf("ArrayBuffer round trip of %q: %q", b, got)
		}
	}
}

func TestDescribe(t *testing.T) {
	for _, c := range []struct {
		v    js.Value
		want string
	}{
		{js.Undefined(), "undefined"},
		{js.Null(), "null"},
		{js.ValueOf("x"), "x"},
		{js.Global().Get("Error").New("e"), "Error: e"},
		{js0.New(`return { toString() { throw 1; } };`).Invoke(), "object"},
	} {
		if got := Describe(c.v); got != c.want {
			t.Errorf("Describe = %q, want %q", got, c.want)
		}
	}
}

// BenchmarkAwait is one await of a promise settled on the next turn.
func BenchmarkAwait(b *testing.B) {
	next := js0.New(`return () => new Promise((r) => setImmediate(() => r(1)));`).Invoke()
	for b.Loop() {
		if _, err := Await(context.Background(), next.Invoke()); err != nil {
			b.Fatal(err)
		}
	}
}
