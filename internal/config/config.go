// Package config reads the worker's settings from its environment (Worker
// vars and secrets; .dev.vars locally) once per instance.
package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Config is everything the API needs to know that is not stored in KV.
type Config struct {
	// AdminToken is the vendor's secret (ADMIN_TOKEN). Empty refuses every
	// admin call.
	AdminToken string
	// SigningKeys is the key ring spec (SIGNING_KEYS): "kid:seed" entries, the
	// first signs, all verify.
	SigningKeys string
	// Issuer is the iss of every token (TOKEN_ISSUER).
	Issuer string
	// DemoRoutes turns on the development-only /demo routes (DEMO_ROUTES=1).
	DemoRoutes bool
	// ContactTokenTTL is the lifetime of contact tokens (CONTACT_TOKEN_TTL_SECONDS).
	ContactTokenTTL time.Duration
	// RateLimits are the limits on the widget's contacts, messages and sessions.
	RateLimits RateLimits
	// Webhooks are the webhook settings.
	Webhooks Webhooks
}

// Webhooks are the settings of the org's webhooks.
type Webhooks struct {
	// AllowLoopback accepts http:// URLs to 127.0.0.1 and localhost
	// (WEBHOOK_ALLOW_LOOPBACK=1): local development only.
	AllowLoopback bool
	// RetryDelays replaces the retry schedule (WEBHOOK_RETRY_DELAYS, comma
	// separated seconds, checked by Load; see Delays); "" keeps the default
	// (package webhook). A string keeps Config comparable.
	RetryDelays string
	// SecretOverlap is how long the previous secret signs after a rotation
	// (WEBHOOK_SECRET_OVERLAP_SECONDS); 0 keeps the default of 24 hours.
	SecretOverlap time.Duration
}

// RateLimits are budgets of a Window (a minute by default); 0 turns a limit
// off.
type RateLimits struct {
	// ContactsPerDevice and ContactsPerIP limit POST /v1/widget/contacts.
	ContactsPerDevice int
	ContactsPerIP     int
	// MessagesPerDevice and MessagesPerIP limit the widget's message posts
	// and new sessions together (per principal and per client address).
	MessagesPerDevice int
	MessagesPerIP     int
	// Window is the length of one budget.
	Window time.Duration
}

// Defaults used when a variable is not set.
const (
	DefaultIssuer          = "chat-identity"
	DefaultContactTokenTTL = 7 * 24 * time.Hour
)

// DefaultRateLimits are loose enough that ordinary use never meets them.
var DefaultRateLimits = RateLimits{
	ContactsPerDevice: 60,
	ContactsPerIP:     600,
	MessagesPerDevice: 120,
	MessagesPerIP:     1200,
	Window:            time.Minute,
}

// maxSeconds bounds durations read from the environment (about ten years).
const maxSeconds = 10 * 366 * 24 * 3600

// ErrConfig is wrapped by every error of Load.
var ErrConfig = errors.New("config")

// Load reads the config through getenv. It names the variable that is wrong
// and never echoes a secret.
func Load(getenv func(string) string) (Config, error) {
	c := Config{
		AdminToken:      strings.TrimSpace(getenv("ADMIN_TOKEN")),
		SigningKeys:     strings.TrimSpace(getenv("SIGNING_KEYS")),
		Issuer:          strings.TrimSpace(getenv("TOKEN_ISSUER")),
		DemoRoutes:      isTrue(getenv("DEMO_ROUTES")),
		ContactTokenTTL: DefaultContactTokenTTL,
		RateLimits:      DefaultRateLimits,
	}
	if c.Issuer == "" {
		c.Issuer = DefaultIssuer
	}
	if c.SigningKeys == "" {
		return c, fmt.Errorf("%w: SIGNING_KEYS is not set", ErrConfig)
	}
	ints := []struct {
		name string
		dst  *int
	}{
		{"RATE_LIMIT_CONTACTS_PER_DEVICE", &c.RateLimits.ContactsPerDevice},
		{"RATE_LIMIT_CONTACTS_PER_IP", &c.RateLimits.ContactsPerIP},
		{"RATE_LIMIT_MESSAGES_PER_DEVICE", &c.RateLimits.MessagesPerDevice},
		{"RATE_LIMIT_MESSAGES_PER_IP", &c.RateLimits.MessagesPerIP},
	}
	for _, v := range ints {
		if s := strings.TrimSpace(getenv(v.name)); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				return c, fmt.Errorf("%w: %s must be a whole number >= 0", ErrConfig, v.name)
			}
			*v.dst = n
		}
	}
	secs := []struct {
		name string
		dst  *time.Duration
	}{
		{"RATE_LIMIT_WINDOW_SECONDS", &c.RateLimits.Window},
		{"CONTACT_TOKEN_TTL_SECONDS", &c.ContactTokenTTL},
	}
	for _, v := range secs {
		if s := strings.TrimSpace(getenv(v.name)); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > maxSeconds {
				return c, fmt.Errorf("%w: %s must be a whole number of seconds from 1 to %d", ErrConfig, v.name, maxSeconds)
			}
			*v.dst = time.Duration(n) * time.Second
		}
	}
	c.Webhooks.AllowLoopback = isTrue(getenv("WEBHOOK_ALLOW_LOOPBACK"))
	if s := strings.TrimSpace(getenv("WEBHOOK_SECRET_OVERLAP_SECONDS")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxSeconds {
			return c, fmt.Errorf("%w: WEBHOOK_SECRET_OVERLAP_SECONDS must be a whole number of seconds from 1 to %d", ErrConfig, maxSeconds)
		}
		c.Webhooks.SecretOverlap = time.Duration(n) * time.Second
	}
	c.Webhooks.RetryDelays = strings.TrimSpace(getenv("WEBHOOK_RETRY_DELAYS"))
	if _, ok := c.Webhooks.Delays(); !ok {
		return c, fmt.Errorf("%w: WEBHOOK_RETRY_DELAYS must be up to 50 comma-separated whole numbers of seconds from 0 to 43200", ErrConfig)
	}
	return c, nil
}

// Delays is RetryDelays parsed: nil when unset; ok is false when it is not
// up to 50 comma-separated whole numbers of seconds from 0 to 43,200 (a
// Cloudflare Queue's longest delay).
func (w Webhooks) Delays() (delays []time.Duration, ok bool) {
	if w.RetryDelays == "" {
		return nil, true
	}
	for _, f := range strings.Split(w.RetryDelays, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 || n > 43200 || len(delays) >= 50 {
			return nil, false
		}
		delays = append(delays, time.Duration(n)*time.Second)
	}
	return delays, true
}

func isTrue(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}
