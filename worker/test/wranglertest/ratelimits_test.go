//go:build !js

package wranglertest

import (
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/chatwidget/identity/internal/config"
)

// The deployed worker's limits are its bindings' (wrangler.toml); the
// in-process server's are config's defaults. They must be the same numbers.
func TestWranglerTomlRateLimitsAreTheDefaults(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "wrangler.toml"))
	if err != nil {
		t.Fatal(err)
	}
	got := RateLimits(string(b))
	d := config.DefaultRateLimits
	period := int(d.Window.Seconds())
	want := map[string]RateLimit{
		"RL_CONTACTS_PER_DEVICE": {d.ContactsPerDevice, period},
		"RL_CONTACTS_PER_IP":     {d.ContactsPerIP, period},
		"RL_MESSAGES_PER_DEVICE": {d.MessagesPerDevice, period},
		"RL_MESSAGES_PER_IP":     {d.MessagesPerIP, period},
	}
	if !maps.Equal(got, want) {
		t.Errorf("wrangler.toml has rate limit bindings %+v, want %+v (config.DefaultRateLimits)", got, want)
	}
}

func TestApplyRateLimitsRewritesOnlyWhatTheVarsSet(t *testing.T) {
	const toml = `name = "x"

[[ratelimits]]
name = "RL_CONTACTS_PER_DEVICE"
namespace_id = "1"
simple = { limit = 60, period = 60 }

[[ratelimits]]
name = "RL_MESSAGES_PER_IP"
namespace_id = "2"
simple = { limit = 1200, period = 60 }

[vars]
A = "1"
`
	path := filepath.Join(t.TempDir(), "wrangler.toml")
	if err := os.WriteFile(path, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := applyRateLimits(path, map[string]string{"RATE_LIMIT_CONTACTS_PER_DEVICE": "2", "RATE_LIMIT_MESSAGES_PER_IP": "0", "RATE_LIMIT_WINDOW_SECONDS": "10"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	got := RateLimits(string(b))
	want := map[string]RateLimit{"RL_CONTACTS_PER_DEVICE": {2, 10}, "RL_MESSAGES_PER_IP": {1200, 10}}
	if !maps.Equal(got, want) {
		t.Errorf("after rewriting: %v, want %v\n%s", got, want, b)
	}
	if err := applyRateLimits(path, map[string]string{"RATE_LIMIT_WINDOW_SECONDS": "30"}); err == nil {
		t.Error("a period of 30 s was taken; the binding has 10 or 60")
	}
}
