//go:build js && wasm

package main

import (
	"sync"
	"syscall/js"

	"github.com/chatwidget/identity/internal/widget"
)

// localStorage is widget.Storage over window.localStorage. The browser may
// refuse a write (a full quota, Safari's private mode): the value is then kept
// in memory, read before localStorage, for the page's life, so that what the
// widget wrote (a message put in the outbox) is there when it reads it back.
type localStorage struct {
	h   host
	ls  js.Value
	mu  sync.Mutex
	mem map[string]string // the writes localStorage refused
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
	return &localStorage{h: h, ls: ls, mem: map[string]string{}} // ls is kept for the core's lifetime
}

func (s *localStorage) Get(key string) (string, bool) {
	s.mu.Lock()
	v, ok := s.mem[key]
	s.mu.Unlock()
	if ok {
		return v, true
	}
	r, ok := s.h.method(s.ls, "getItem", key)
	if !ok || r.Type() != js.TypeString {
		return "", false
	}
	return r.String(), true
}

func (s *localStorage) Set(key, value string) {
	_, ok := s.h.method(s.ls, "setItem", key, value)
	s.mu.Lock()
	defer s.mu.Unlock()
	if ok {
		delete(s.mem, key)
	} else {
		s.mem[key] = value
	}
}

func (s *localStorage) Remove(key string) {
	s.mu.Lock()
	delete(s.mem, key)
	s.mu.Unlock()
	s.h.method(s.ls, "removeItem", key)
}

// Keys implements widget.KeyLister: localStorage's keys, of every script
// of the origin (ForgetDevice keeps to the widget's prefix), and those kept
// in memory.
func (s *localStorage) Keys() []string {
	var keys []string
	s.mu.Lock()
	for k := range s.mem {
		keys = append(keys, k)
	}
	s.mu.Unlock()
	n, ok := s.h.get(s.ls, "length")
	if !ok || n.Type() != js.TypeNumber {
		return keys
	}
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
