package webhook

import (
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chatwidget/identity/internal/identity"
)

// Config is an org's webhook as stored (store: webhook/{org}). Its secrets
// are symmetric keys the worker signs with, so they are stored as they are;
// they are shown only when made (set, rotation).
type Config struct {
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	Secrets   []Secret  `json:"secrets"` // the newest first
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Secret is one signing secret; a previous one signs until ExpiresAt.
type Secret struct {
	Value     string     `json:"value"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// DefaultOverlap is how long the previous secret keeps signing after a
// rotation.
const DefaultOverlap = 24 * time.Hour

// Wants reports whether the webhook subscribes to event type t.
func (c *Config) Wants(t string) bool { return c != nil && slices.Contains(c.Events, t) }

// Signing is the secrets that sign at now: the newest, and the previous
// ones until they expire.
func (c *Config) Signing(now time.Time) []string {
	var out []string
	for _, s := range c.Secrets {
		if s.ExpiresAt == nil || now.Before(*s.ExpiresAt) {
			out = append(out, s.Value)
		}
	}
	return out
}

// MaxSigning bounds the secrets that sign at once: the newest and up to
// MaxSigning-1 replaced ones still within their overlap. Nine rotations
// within a day keep every replaced secret signing for its full overlap;
// a tenth ends the oldest one's early. Each secret adds 48 bytes to the
// webhook-signature header (10: under 500 B, far below a receiver's usual
// 8 KB header limit) and one HMAC of the payload to every delivery.
const MaxSigning = 10

// Rotate makes secret the newest and keeps the one it replaces signing for
// overlap (none when overlap is 0), beside every earlier one still within
// its own: each replaced secret signs until overlap after it was replaced,
// at most MaxSigning at once (the oldest are dropped beyond that).
func (c *Config) Rotate(secret string, now time.Time, overlap time.Duration) {
	next := []Secret{{Value: secret, CreatedAt: now}}
	if overlap > 0 {
		for i, s := range c.Secrets {
			if i == 0 || s.ExpiresAt == nil {
				until := now.Add(overlap)
				s.ExpiresAt = &until
			}
			if now.Before(*s.ExpiresAt) && len(next) < MaxSigning {
				next = append(next, s)
			}
		}
	}
	c.Secrets = next
	c.UpdatedAt = now
}

// MaxURLLength bounds a webhook's URL, in bytes (it is ASCII).
const MaxURLLength = 2048

// ValidateURL checks a webhook URL: absolute https (or http to 127.0.0.1
// or localhost with allowLoopback, the local development setting), at most
// MaxURLLength printable ASCII characters, no credentials, and no host that
// only the worker's own network could reach (loopback, private, link-local
// and the other special-purpose addresses, localhost) unless allowLoopback
// permits loopback. The host is
// judged as fetch will reach it: an IPv4 address in an old form (127.1,
// 0x7f.0.0.1) as that address, a name with a trailing dot as that name.
// The error is identity.Invalid naming the field "url".
func ValidateURL(raw string, allowLoopback bool) (string, error) {
	if raw == "" {
		return "", identity.Invalid("url", "is required.")
	}
	if len(raw) > MaxURLLength {
		return "", identity.Invalid("url", "must be at most %d characters.", MaxURLLength)
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c <= ' ' || c >= 0x7f {
			return "", identity.Invalid("url", "must be printable ASCII without spaces (percent-encode the rest).")
		}
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Opaque != "" || u.Host == "" {
		return "", identity.Invalid("url", "must be an absolute https:// URL.")
	}
	if u.User != nil {
		return "", identity.Invalid("url", "must not hold credentials (user:password@); authenticate events by their signature.")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return "", identity.Invalid("url", "must not have a fragment (#...).")
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return "", identity.Invalid("url", "must name a host.")
	}
	// An IPv6 zone (%25eth0) names an interface of the sender's own
	// machine: no public receiver has one. Refused before any parsing, so
	// that netip never interns an attacker's zone name (its zones are kept
	// for the life of the process).
	if strings.Contains(host, "%") {
		return "", identity.Invalid("url", "must not name an IPv6 zone (%%25...): name a public host.")
	}
	// The receiver is reached through fetch, which reads the host as the
	// WHATWG URL standard says: a host whose last label is a number is an
	// IPv4 address in any of its old forms (127.1, 0x7f.0.0.1, 0177.0.0.1,
	// 2130706433, a trailing dot), and a name's trailing dot is the same
	// name to DNS. Judge the host as fetch will reach it.
	if ip, isIPv4, ok := identity.WHATWGIPv4(host); isIPv4 {
		if !ok {
			return "", identity.Invalid("url", "has a host that is not a valid IPv4 address.")
		}
		host = ip.String()
	} else {
		host = strings.TrimRight(host, ".")
	}
	if p := u.Port(); p != "" {
		if n, ok := port(p); !ok || n == 0 {
			return "", identity.Invalid("url", "has an invalid port.")
		}
	}
	loopback := isLoopback(host)
	switch u.Scheme {
	case "https":
	case "http":
		if !(allowLoopback && loopback) {
			return "", identity.Invalid("url", "must be https:// (http:// only to 127.0.0.1 or localhost in local development).")
		}
	default:
		return "", identity.Invalid("url", "must be an https:// URL.")
	}
	if loopback && !allowLoopback || !loopback && isInternal(host) {
		return "", identity.Invalid("url", "must name a public host, not a loopback, private or link-local address.")
	}
	return raw, nil
}

func port(p string) (int, bool) {
	n := 0
	for _, c := range p {
		if c < '0' || c > '9' || n > 65535 {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n <= 65535
}

func isLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip, ok := parseIP(host)
	return ok && ip.IsLoopback()
}

// parseIP reads an address literal, an IPv4-mapped IPv6 one as its IPv4
// address (as net.ParseIP does; net/netip because net does not build under
// TinyGo).
func parseIP(host string) (netip.Addr, bool) {
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return ip.Unmap(), true
}

// isInternal: an address literal no public receiver has, or a name that
// resolves only inside a network.
func isInternal(host string) bool {
	if ip, ok := parseIP(host); ok {
		return !globallyReachable(ip)
	}
	return strings.HasSuffix(host, ".internal") || strings.HasSuffix(host, ".local") || !strings.Contains(strings.Trim(host, "."), ".")
}

// notGlobal holds the blocks of IANA's IPv4 and IPv6 Special-Purpose
// Address Registries (RFC 6890 and its updates) that are not globally
// reachable, with multicast and the reserved 240.0.0.0/4: no public
// receiver has an address in them (100.64.0.0/10 is a carrier's NAT,
// 198.18.0.0/15 benchmarking, the 192.0.2.0/24-style blocks documentation).
// It is parsed on first use, not at package initialization, which ran at
// every start of the worker for the routes and jobs that call webhooks only
// (TinyGo cannot build it at compile time).
var notGlobal = sync.OnceValue(func() []netip.Prefix {
	blocks := []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
		"172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
		"198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
		"::/96", // ::, ::1's neighbours and the deprecated IPv4-compatible ::a.b.c.d
		"::1/128", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "3fff::/20",
		"5f00::/16", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
	}
	out := make([]netip.Prefix, len(blocks))
	for i, b := range blocks {
		out[i] = netip.MustParsePrefix(b)
	}
	return out
})

// globallyReachable reports whether ip is in no block of notGlobal. An
// IPv6 address that carries an IPv4 one to a translator (NAT64's
// 64:ff9b::/96, 6to4's 2002::/16) is judged by the IPv4 address it reaches.
// Any other IPv6 address outside 2000::/3, the only block IANA allocates as
// global unicast, is reserved and reaches no public receiver (SIIT's
// ::ffff:0:a.b.c.d and the like, whose IPv4 address a translator could
// reach).
func globallyReachable(ip netip.Addr) bool {
	if ip.Is6() {
		b := ip.As16()
		switch {
		case [12]byte(b[:12]) == [12]byte{0, 0x64, 0xff, 0x9b}: // NAT64's 64:ff9b::/96
			ip = netip.AddrFrom4([4]byte(b[12:16]))
		case b[0] == 0x20 && b[1] == 0x02:
			ip = netip.AddrFrom4([4]byte(b[2:6]))
		case b[0]&0xe0 != 0x20:
			return false
		}
	}
	for _, p := range notGlobal() {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// ParseEvents checks the events a webhook subscribes to: nil means all of
// them; otherwise at least one, each a known type (duplicates are kept
// once, in the contract's order). The error names the field "events".
func ParseEvents(events []string, given bool) ([]string, error) {
	if !given {
		return slices.Clone(AllEvents), nil
	}
	if len(events) == 0 {
		return nil, identity.Invalid("events", "must name at least one event (leave it out for all of them).")
	}
	for _, e := range events {
		if !Known(e) {
			if len(e) > 64 {
				e = e[:64] + "..."
			}
			return nil, identity.Invalid("events", "names an unknown event %q: the events are %s.", e, strings.Join(AllEvents, ", "))
		}
	}
	var out []string
	for _, e := range AllEvents {
		if slices.Contains(events, e) {
			out = append(out, e)
		}
	}
	return out, nil
}
