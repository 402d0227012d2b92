//go:build !js

package access_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/api"
	"github.com/chatwidget/identity/internal/config"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/internal/token"
	"github.com/chatwidget/identity/worker/test/access"
	"github.com/chatwidget/identity/worker/test/contract"
)

// TestRulesInProcess runs the table over the API in process, on a Memory
// KV, through the contract client validating against the document; a
// refusal must leave every key of the KV as it was.
func TestRulesInProcess(t *testing.T) {
	const admin = "admin-token-for-the-access-test"
	spec, err := token.GenerateKeySpec("k1")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Config{AdminToken: admin, SigningKeys: spec, Issuer: "test", ContactTokenTTL: time.Hour, RateLimits: config.DefaultRateLimits}
	mem := kv.NewMemory()
	a, err := api.New(mem, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	v, err := contract.Load()
	if err != nil {
		t.Fatal(err)
	}
	access.Run(t, contract.New(srv.URL, v), admin, access.Storage(mem.Snapshot))
}
