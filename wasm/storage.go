//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/chatwidget/identity/internal/widget"
)

// localStorage is widget.Storage over window.localStorage. The browser may
// refuse it (a full quota, a sandboxed frame): a refused Set is dropped.
type localStorage struct {
	h  host
	ls js.Value
}

// openStorage returns localStorage, or storage in memory when the browser
// has none or refuses it.
func openStorage(h host) widget.Storage {
	ls, ok := h.get(js.Global(), "localStorage")
	if !ok || ls.Type() != js.TypeObject {
		return widget.NewMemoryStorage()
	}
	const probe = "chatwidget:probe"
	_, ok1 := h.method(ls, "setItem", probe, "1")
	_, ok2 := h.method(ls, "removeItem", probe)
	if !ok1 || !ok2 {
		return widget.NewMemoryStorage()
	}
	return localStorage{h: h, ls: ls} // ls is kept for the core's lifetime
}

func (s localStorage) Get(key string) (string, bool) {
	r, ok := s.h.method(s.ls, "getItem", key)
	if !ok || r.Type() != js.TypeString {
		return "", false
	}
	return r.String(), true
}

func (s localStorage) Set(key, value string) {
	s.h.method(s.ls, "setItem", key, value)
}

func (s localStorage) Remove(key string) {
	s.h.method(s.ls, "removeItem", key)
}

// Keys implements widget.KeyLister: localStorage's keys, of every script
// of the origin (ForgetDevice keeps to the widget's prefix).
func (s localStorage) Keys() []string {
	n, ok := s.h.get(s.ls, "length")
	if !ok || n.Type() != js.TypeNumber {
		return nil
	}
	var keys []string
	for i := n.Int() - 1; i >= 0; i-- {
		if k, ok := s.h.method(s.ls, "key", i); ok && k.Type() == js.TypeString {
			keys = append(keys, k.String())
		}
	}
	return keys
}

// cryptoRandom reads crypto.getRandomValues.
type cryptoRandom struct{}

func (cryptoRandom) Read(p []byte) (int, error) {
	crypto := js.Global().Get("crypto")
	for off := 0; off < len(p); off += 65536 { // the API's limit per call
		n := min(len(p)-off, 65536)
		u8 := js.Global().Get("Uint8Array")
		buf := u8.New(n)
		crypto.Call("getRandomValues", buf)
		js.CopyBytesToGo(p[off:off+n], buf)
	}
	return len(p), nil
}
