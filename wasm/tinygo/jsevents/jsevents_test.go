//go:build tinygo && js

package jsevents

import (
	"runtime"
	"strconv"
	"strings"
	"syscall/js"
	"testing"
)

func fn(src string, params ...string) js.Value {
	args := make([]any, 0, len(params)+1)
	for _, p := range params {
		args = append(args, p)
	}
	return js.Global().Get("Function").New(append(args, src)...)
}

// this, every argument (past the nine that eventLoad writes into Go's memory
// too) and the result cross as they did.
func TestACallbackGetsThisItsArgumentsAndReturnsItsResult(t *testing.T) {
	var gotThis js.Value
	var got []string
	f := js.FuncOf(func(this js.Value, args []js.Value) any {
		gotThis = this
		got = got[:0]
		for _, a := range args {
			got = append(got, a.String())
		}
		return strings.Join(got, "+")
	})
	defer f.Release()
	for _, n := range []int{0, 1, 8, 9, 12} {
		call := fn(`const a = []; for (let i = 0; i < n; i++) a.push("a" + i); return f.apply(self, a);`, "f", "n", "self")
		self := js.Global().Get("Object").New()
		self.Set("name", "me")
		res := call.Invoke(f, n, self)
		var want []string
		for i := range n {
			want = append(want, "a"+strconv.Itoa(i))
		}
		if len(got) != n || strings.Join(got, "+") != strings.Join(want, "+") {
			t.Errorf("%d arguments: the callback got %q, want %q", n, got, want)
		}
		if res.String() != strings.Join(want, "+") {
			t.Errorf("%d arguments: JavaScript got %q back, want %q", n, res.String(), strings.Join(want, "+"))
		}
		if gotThis.Get("name").String() != "me" {
			t.Errorf("%d arguments: this was %v, want the object passed", n, gotThis)
		}
	}
}

// Objects, numbers, undefined and null arguments keep their types, and a
// callback returning nothing gives JavaScript undefined.
func TestArgumentsKeepTheirTypes(t *testing.T) {
	var types []js.Type
	f := js.FuncOf(func(_ js.Value, args []js.Value) any {
		types = types[:0]
		for _, a := range args {
			types = append(types, a.Type())
		}
		return nil
	})
	defer f.Release()
	res := fn(`return f({}, 1.5, undefined, null, "s", true, () => 1);`, "f").Invoke(f)
	want := []js.Type{js.TypeObject, js.TypeNumber, js.TypeUndefined, js.TypeNull, js.TypeString, js.TypeBoolean, js.TypeFunction}
	if len(types) != len(want) {
		t.Fatalf("got %d arguments, want %d", len(types), len(want))
	}
	for i := range want {
		if types[i] != want[i] {
			t.Errorf("argument %d: type %v, want %v", i, types[i], want[i])
		}
	}
	if !res.IsNull() {
		t.Errorf("a callback returning nil gave JavaScript %v, want null", res)
	}
}

// A callback that calls JavaScript that calls another callback (nested
// events) gets each its own arguments and result.
func TestNestedCallbacksKeepTheirOwnEvents(t *testing.T) {
	inner := js.FuncOf(func(_ js.Value, args []js.Value) any { return args[0].Int() * 10 })
	defer inner.Release()
	callInner := fn(`return g(x) + 1;`, "g", "x")
	outer := js.FuncOf(func(_ js.Value, args []js.Value) any {
		r := callInner.Invoke(inner, args[0].Int()+1)
		return r.Int() + args[1].Int()
	})
	defer outer.Release()
	if got := fn(`return f(4, 1000);`, "f").Invoke(outer).Int(); got != 1051 {
		t.Errorf("nested callbacks returned %d, want 1051 ((4+1)*10+1+1000)", got)
	}
}

// Calls into JavaScript reuse their argument slices (syscall-js-arg-slices.patch):
// unpatched, TinyGo allocated two 16-slot slices, about 400 bytes, a call.
func TestCallsIntoJavaScriptDoNotAllocateTheirArgumentSlices(t *testing.T) {
	sum := fn(`return a + b + c;`, "a", "b", "c")
	sum.Invoke(1, 2, 3)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	total := 0
	for i := range 1000 {
		total += sum.Invoke(i, 1, 2).Int()
	}
	runtime.ReadMemStats(&after)
	if total != 1000*999/2+3000 {
		t.Fatalf("the calls summed to %d", total)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1000*200 {
		t.Errorf("1,000 calls with three arguments allocated %d bytes: more than 200 each, as if each made its argument slices", got)
	}
}

// A call made from a callback that a call into JavaScript made (nested
// calls) has arguments of its own: the outer call's are not overwritten.
func TestNestedCallsKeepTheirOwnArguments(t *testing.T) {
	inner := fn(`return a * 100 + b;`, "a", "b")
	cb := js.FuncOf(func(_ js.Value, args []js.Value) any {
		return inner.Invoke(args[0].Int(), 7).Int()
	})
	defer cb.Release()
	outer := fn(`const r = f(x); return [x, y, z, r].join(",");`, "f", "x", "y", "z")
	if got := outer.Invoke(cb, 3, "why", 5).String(); got != "3,why,5,307" {
		t.Errorf("nested calls gave %q, want 3,why,5,307", got)
	}
}
