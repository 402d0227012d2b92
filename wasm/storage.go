//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/chatwidget/identity/internal/widget"
)

// localStorage is widget.Storage over window.localStorage. The browser may
// refuse it (a full quota, a sandboxed frame): a refused Set is dropped.
type localStorage struct{ ls js.Value }

// openStorage returns localStorage, or storage in memory when the browser
// has none or refuses it.
func openStorage() (st widget.Storage) {
	defer func() {
		if recover() != nil {
			st = widget.NewMemoryStorage()
		}
	}()
	ls := js.Global().Get("localStorage")
	if ls.Type() != js.TypeObject {
		return widget.NewMemoryStorage()
	}
	const probe = "chatwidget:probe"
	ls.Call("setItem", probe, "1")
	ls.Call("removeItem", probe)
	return localStorage{ls: ls}
}

func (s localStorage) Get(key string) (v string, ok bool) {
	defer func() {
		if recover() != nil {
			v, ok = "", false
		}
	}()
	r := s.ls.Call("getItem", key)
	if r.Type() != js.TypeString {
		return "", false
	}
	return r.String(), true
}

func (s localStorage) Set(key, value string) {
	defer func() { _ = recover() }()
	s.ls.Call("setItem", key, value)
}

func (s localStorage) Remove(key string) {
	defer func() { _ = recover() }()
	s.ls.Call("removeItem", key)
}

// cryptoRandom reads crypto.getRandomValues.
type cryptoRandom struct{}

func (cryptoRandom) Read(p []byte) (int, error) {
	for off := 0; off < len(p); off += 65536 { // the API's limit per call
		n := min(len(p)-off, 65536)
		buf := js.Global().Get("Uint8Array").New(n)
		js.Global().Get("crypto").Call("getRandomValues", buf)
		js.CopyBytesToGo(p[off:off+n], buf)
	}
	return len(p), nil
}
