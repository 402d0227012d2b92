package api_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/api"
	"github.com/chatwidget/identity/internal/config"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/internal/token"
)

// signalEngine is token.GoEngine that closes started when a signature is
// first verified.
type signalEngine struct {
	started chan struct{}
	once    sync.Once
}

func (e *signalEngine) NewKey(seed []byte) (token.EngineKey, error) {
	k, err := token.GoEngine.NewKey(seed)
	return signalKey{k, e}, err
}

type signalKey struct {
	token.EngineKey
	e *signalEngine
}

func (k signalKey) Verify(message, signature []byte) (bool, error) {
	k.e.once.Do(func() { close(k.e.started) })
	return k.EngineKey.Verify(message, signature)
}

// gateKV holds a read of an org by widget token, once armed, until a
// signature check has started (or two seconds have passed), and records
// whether it had.
type gateKV struct {
	kv.KV
	armed, overlapped atomic.Bool
	started           <-chan struct{}
}

func (g *gateKV) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if g.armed.Load() && strings.HasPrefix(key, "widget/") {
		select {
		case <-g.started:
			g.overlapped.Store(true)
		case <-time.After(2 * time.Second):
		}
	}
	return g.KV.Get(ctx, key)
}

// The user token's signature is checked while the org is read (in the Worker
// both wait on I/O: KV and WebCrypto), and the verdicts keep their order.
func TestTheUserTokensSignatureIsCheckedWhileTheOrgIsRead(t *testing.T) {
	spec, err := token.GenerateKeySpec("k1")
	if err != nil {
		t.Fatal(err)
	}
	eng := &signalEngine{started: make(chan struct{})}
	mem := kv.NewMemory()
	gate := &gateKV{KV: mem, started: eng.started}
	newAPI := func() *api.API {
		a, err := api.New(gate, config.Config{AdminToken: adminToken, SigningKeys: spec, Issuer: "test", ContactTokenTTL: time.Hour}, api.WithTokenEngine(eng))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	e := &env{harness: &harness{t: t, h: newAPI(), mem: mem}}
	o := e.newOrg("shop", "https://shop.example")
	other := e.newOrg("other")
	tok := e.contact(o, "0b7e4f7a-3c55-4d2a-9a57-1c1b2d3e4f50", nil)

	// A fresh instance, which has not kept the org yet (store.OrgByWidgetToken
	// keeps the orgs it read): its first request reads it from KV.
	e.h = newAPI()
	gate.armed.Store(true)
	if r := e.widget(o, tok, "GET", "/v1/widget/sessions", nil); r.Status != 200 {
		t.Fatalf("list: %d %s", r.Status, r.Raw)
	}
	if !gate.overlapped.Load() {
		t.Error("the org was read before the user token's signature check began")
	}

	// The order of verdicts: widget token, origin, then user token.
	forged := tok[:strings.LastIndexByte(tok, '.')+1] + strings.Repeat("A", 86)
	checkError(t, e.send(request("GET", "/v1/widget/sessions", nil, "X-Widget-Token", "pk_unknown_0123456789abcdefghij", "Authorization", "Bearer "+forged)), 401, "unauthorized")
	checkError(t, e.widget(o, forged, "GET", "/v1/widget/sessions", nil, "Origin", "https://evil.example"), 403, "origin_not_allowed")
	checkError(t, e.widget(o, forged, "GET", "/v1/widget/sessions", nil), 401, "invalid_token")
	checkError(t, e.widget(other, tok, "GET", "/v1/widget/sessions", nil), 401, "invalid_token")
	checkError(t, e.widget(o, tok, "POST", "/v1/widget/sessions/nope/messages", map[string]any{"content": "hi"}, "Origin", "https://evil.example"), 403, "origin_not_allowed")
}
