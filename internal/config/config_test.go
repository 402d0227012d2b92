package config_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/config"
)

// env returns a getenv over the pairs, with SIGNING_KEYS set unless given.
func env(pairs ...string) func(string) string {
	m := map[string]string{"SIGNING_KEYS": "k1:seed"}
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = pairs[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestLoadDefaults(t *testing.T) {
	c, err := config.Load(env())
	if err != nil {
		t.Fatal(err)
	}
	want := config.Config{
		SigningKeys:     "k1:seed",
		Issuer:          config.DefaultIssuer,
		ContactTokenTTL: config.DefaultContactTokenTTL,
		RateLimits:      config.DefaultRateLimits,
	}
	if c != want {
		t.Errorf("got %+v\nwant %+v", c, want)
	}
	if c.AdminToken != "" || c.DemoRoutes {
		t.Error("admin token or demo routes on by default")
	}
	if config.DefaultRateLimits.Window != time.Minute {
		t.Errorf("default window %v", config.DefaultRateLimits.Window)
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name  string
		env   []string
		check func(t *testing.T, c config.Config)
	}{
		{"secrets are trimmed", []string{"ADMIN_TOKEN", "  adm  \n", "SIGNING_KEYS", " k1:s,k2:t "}, func(t *testing.T, c config.Config) {
			if c.AdminToken != "adm" || c.SigningKeys != "k1:s,k2:t" {
				t.Errorf("got %q %q", c.AdminToken, c.SigningKeys)
			}
		}},
		{"issuer", []string{"TOKEN_ISSUER", " https://chat.example "}, func(t *testing.T, c config.Config) {
			if c.Issuer != "https://chat.example" {
				t.Errorf("issuer %q", c.Issuer)
			}
		}},
		{"blank issuer is the default", []string{"TOKEN_ISSUER", "   "}, func(t *testing.T, c config.Config) {
			if c.Issuer != config.DefaultIssuer {
				t.Errorf("issuer %q", c.Issuer)
			}
		}},
		{"rate limits", []string{
			"RATE_LIMIT_CONTACTS_PER_DEVICE", "1", "RATE_LIMIT_CONTACTS_PER_IP", "2",
			"RATE_LIMIT_MESSAGES_PER_DEVICE", " 3 ", "RATE_LIMIT_MESSAGES_PER_IP", "0",
			"RATE_LIMIT_WINDOW_SECONDS", "10",
		}, func(t *testing.T, c config.Config) {
			want := config.RateLimits{ContactsPerDevice: 1, ContactsPerIP: 2, MessagesPerDevice: 3, MessagesPerIP: 0, Window: 10 * time.Second}
			if c.RateLimits != want {
				t.Errorf("got %+v, want %+v", c.RateLimits, want)
			}
		}},
		{"contact token ttl", []string{"CONTACT_TOKEN_TTL_SECONDS", "3600"}, func(t *testing.T, c config.Config) {
			if c.ContactTokenTTL != time.Hour {
				t.Errorf("ttl %v", c.ContactTokenTTL)
			}
		}},
		{"contact token ttl of one second", []string{"CONTACT_TOKEN_TTL_SECONDS", "1"}, func(t *testing.T, c config.Config) {
			if c.ContactTokenTTL != time.Second {
				t.Errorf("ttl %v", c.ContactTokenTTL)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load(env(tt.env...))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadDemoRoutes(t *testing.T) {
	for v, want := range map[string]bool{
		"1": true, "true": true, "TRUE": true, " yes ": true, "on": true, "On": true,
		"": false, "0": false, "false": false, "no": false, "off": false, "2": false, "enabled": false,
	} {
		c, err := config.Load(env("DEMO_ROUTES", v))
		if err != nil {
			t.Fatal(err)
		}
		if c.DemoRoutes != want {
			t.Errorf("DEMO_ROUTES=%q: %v, want %v", v, c.DemoRoutes, want)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name     string
		env      []string
		variable string // the error names it
	}{
		{"no signing keys", []string{"SIGNING_KEYS", ""}, "SIGNING_KEYS"},
		{"blank signing keys", []string{"SIGNING_KEYS", " \n "}, "SIGNING_KEYS"},
		{"negative limit", []string{"RATE_LIMIT_CONTACTS_PER_DEVICE", "-1"}, "RATE_LIMIT_CONTACTS_PER_DEVICE"},
		{"word limit", []string{"RATE_LIMIT_CONTACTS_PER_IP", "lots"}, "RATE_LIMIT_CONTACTS_PER_IP"},
		{"fraction limit", []string{"RATE_LIMIT_MESSAGES_PER_DEVICE", "1.5"}, "RATE_LIMIT_MESSAGES_PER_DEVICE"},
		{"overflowing limit", []string{"RATE_LIMIT_MESSAGES_PER_IP", "99999999999999999999"}, "RATE_LIMIT_MESSAGES_PER_IP"},
		{"zero window", []string{"RATE_LIMIT_WINDOW_SECONDS", "0"}, "RATE_LIMIT_WINDOW_SECONDS"},
		{"negative window", []string{"RATE_LIMIT_WINDOW_SECONDS", "-60"}, "RATE_LIMIT_WINDOW_SECONDS"},
		{"duration syntax", []string{"RATE_LIMIT_WINDOW_SECONDS", "1m"}, "RATE_LIMIT_WINDOW_SECONDS"},
		{"zero ttl", []string{"CONTACT_TOKEN_TTL_SECONDS", "0"}, "CONTACT_TOKEN_TTL_SECONDS"},
		{"word ttl", []string{"CONTACT_TOKEN_TTL_SECONDS", "week"}, "CONTACT_TOKEN_TTL_SECONDS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(env(tt.env...))
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, config.ErrConfig) {
				t.Errorf("error %v does not wrap ErrConfig", err)
			}
			if !strings.Contains(err.Error(), tt.variable) {
				t.Errorf("error %q does not name %s", err, tt.variable)
			}
		})
	}
}

// TestLoadDurationsThatOverflow: a number of seconds too large for a
// time.Duration must be refused, not wrap around into a negative or tiny
// lifetime (which would make every contact token fail to issue, or the rate
// limit window silently become one minute).
func TestLoadDurationsThatOverflow(t *testing.T) {
	for _, name := range []string{"CONTACT_TOKEN_TTL_SECONDS", "RATE_LIMIT_WINDOW_SECONDS"} {
		for _, v := range []string{"10000000000"} {
			t.Run(name+"="+v, func(t *testing.T) {
				c, err := config.Load(env(name, v))
				if err != nil {
					if !errors.Is(err, config.ErrConfig) || !strings.Contains(err.Error(), name) {
						t.Errorf("error %v", err)
					}
					return
				}
				got := c.ContactTokenTTL
				if name == "RATE_LIMIT_WINDOW_SECONDS" {
					got = c.RateLimits.Window
				}
				if got < time.Second {
					t.Errorf("%s=%s loaded as %v, want an error", name, v, got)
				}
			})
		}
	}
}

func TestLoadNeverEchoesSecrets(t *testing.T) {
	const secret = "s3cr3t-value-xyz"
	for _, e := range [][]string{
		{"ADMIN_TOKEN", secret, "SIGNING_KEYS", ""},
		{"ADMIN_TOKEN", secret, "RATE_LIMIT_WINDOW_SECONDS", secret},
		{"SIGNING_KEYS", secret, "CONTACT_TOKEN_TTL_SECONDS", "x"},
		{"SIGNING_KEYS", secret, "RATE_LIMIT_CONTACTS_PER_DEVICE", secret},
	} {
		_, err := config.Load(env(e...))
		if err == nil {
			t.Fatalf("%q: no error", e)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error echoes a value: %v", err)
		}
	}
}

// FuzzLoad: Load never panics, every error wraps ErrConfig, and a loaded
// config has an issuer, signing keys, positive durations and limits >= 0.
func FuzzLoad(f *testing.F) {
	f.Add("k1:seed", "", "1", "60", "3600", "5")
	f.Add("", "iss", "0", "0", "0", "0")
	f.Add(" k ", " ", "-1", "x", "1", "1e3")
	f.Add("k", "i", "yes", "+5", " 7 ", "0x10")
	f.Fuzz(func(t *testing.T, keys, issuer, demo, window, ttl, limit string) {
		c, err := config.Load(func(k string) string {
			switch k {
			case "SIGNING_KEYS":
				return keys
			case "TOKEN_ISSUER":
				return issuer
			case "DEMO_ROUTES":
				return demo
			case "RATE_LIMIT_WINDOW_SECONDS":
				return window
			case "CONTACT_TOKEN_TTL_SECONDS":
				return ttl
			case "RATE_LIMIT_CONTACTS_PER_DEVICE", "RATE_LIMIT_MESSAGES_PER_IP":
				return limit
			}
			return ""
		})
		if err != nil {
			if !errors.Is(err, config.ErrConfig) {
				t.Fatalf("error %v does not wrap ErrConfig", err)
			}
			return
		}
		if c.SigningKeys == "" || c.Issuer == "" || c.Issuer != strings.TrimSpace(c.Issuer) {
			t.Fatalf("loaded %+v", c)
		}
		if c.ContactTokenTTL < time.Second || c.RateLimits.Window < time.Second {
			t.Fatalf("durations %v %v", c.ContactTokenTTL, c.RateLimits.Window)
		}
		if c.RateLimits.ContactsPerDevice < 0 || c.RateLimits.MessagesPerIP < 0 {
			t.Fatalf("limits %+v", c.RateLimits)
		}
	})
}

func ExampleLoad() {
	vars := map[string]string{
		"SIGNING_KEYS":              "k1:...",
		"ADMIN_TOKEN":               "...",
		"CONTACT_TOKEN_TTL_SECONDS": "86400",
		"DEMO_ROUTES":               "1",
	}
	c, err := config.Load(func(k string) string { return vars[k] })
	fmt.Println(err)
	fmt.Println(c.Issuer, c.ContactTokenTTL, c.DemoRoutes, c.RateLimits.MessagesPerDevice)

	_, err = config.Load(func(string) string { return "" })
	fmt.Println(err)
	// Output:
	// <nil>
	// chat-identity 24h0m0s true 120
	// config: SIGNING_KEYS is not set
}

func TestWebhookSettings(t *testing.T) {
	Load := config.Load
	env := map[string]string{"SIGNING_KEYS": "k:x", "WEBHOOK_ALLOW_LOOPBACK": "1", "WEBHOOK_RETRY_DELAYS": "1, 2,0", "WEBHOOK_SECRET_OVERLAP_SECONDS": "5"}
	c, err := Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	w := c.Webhooks
	d, _ := w.Delays()
	if !w.AllowLoopback || len(d) != 3 || d[1] != 2*time.Second || d[2] != 0 || w.SecretOverlap != 5*time.Second {
		t.Errorf("webhook settings %+v", w)
	}
	c, _ = Load(func(k string) string { return map[string]string{"SIGNING_KEYS": "k:x"}[k] })
	if d, ok := c.Webhooks.Delays(); c.Webhooks.AllowLoopback || d != nil || !ok || c.Webhooks.SecretOverlap != 0 {
		t.Errorf("defaults %+v", c.Webhooks)
	}
	for k, v := range map[string]string{"WEBHOOK_RETRY_DELAYS": "1,x", "WEBHOOK_SECRET_OVERLAP_SECONDS": "0"} {
		if _, err := Load(func(n string) string { return map[string]string{"SIGNING_KEYS": "k:x", k: v}[n] }); err == nil {
			t.Errorf("%s=%q accepted", k, v)
		}
	}
}
