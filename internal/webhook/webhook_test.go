package webhook_test

import (
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/webhook"
)

// The Standard Webhooks specification's published example (spec/
// standard-webhooks.md, "Signature scheme"; the Go library's TestWebhookSign).
func TestSignTestVector(t *testing.T) {
	got, err := webhook.Sign([]string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, "msg_p5jXN8AQM9LWM0D4loKWxJek",
		time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func headers(id string, ts time.Time, sig string) http.Header {
	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	h.Set("webhook-signature", sig)
	return h
}

// Two secrets sign side by side and the library verifies with either; a
// third secret, a changed body or id verifies with neither.
func TestSignVerifiesWithTheLibrary(t *testing.T) {
	a, b, other := webhook.NewSecret(), webhook.NewSecret(), webhook.NewSecret()
	if !strings.HasPrefix(a, "whsec_") || a == b {
		t.Fatalf("secrets %q %q", a, b)
	}
	now := time.Now()
	body := []byte(`{"type":"message.created","timestamp":"2026-01-01T00:00:00Z","data":{"x":"<&>"}}`)
	sig, err := webhook.Sign([]string{a, b}, "evt_1", now, body)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Split(sig, " ")); n != 2 {
		t.Fatalf("%d signatures in %q", n, sig)
	}
	verify := func(secret string, body []byte, id string) error {
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		return wh.Verify(body, headers(id, now, sig))
	}
	for _, s := range []string{a, b} {
		if err := verify(s, body, "evt_1"); err != nil {
			t.Errorf("the library refused a signature: %v", err)
		}
	}
	if verify(other, body, "evt_1") == nil {
		t.Error("a third secret verified")
	}
	if verify(a, append([]byte(nil), append(body, ' ')...), "evt_1") == nil {
		t.Error("a changed body verified")
	}
	if verify(a, body, "evt_2") == nil {
		t.Error("another id verified")
	}
	if _, err := webhook.Sign(nil, "x", now, body); err == nil {
		t.Error("signed with no secret")
	}
	if _, err := webhook.Sign([]string{"whsec_!!"}, "x", now, body); err == nil {
		t.Error("signed with a secret that is not base64")
	}
}

func TestEventID(t *testing.T) {
	id := webhook.EventID("org1", webhook.MessageCreated, "m1")
	if id != webhook.EventID("org1", webhook.MessageCreated, "m1") || !strings.HasPrefix(id, "evt_") || len(id) != 36 {
		t.Errorf("EventID %q not stable or not evt_ + 32 hex", id)
	}
	for _, other := range []string{
		webhook.EventID("org2", webhook.MessageCreated, "m1"),
		webhook.EventID("org1", webhook.SessionCreated, "m1"),
		webhook.EventID("org1", webhook.MessageCreated, "m2"),
		webhook.EventID("org1\x00message.created", "", "m1"),
	} {
		if other == id {
			t.Errorf("EventID collides: %q", other)
		}
	}
}

func TestValidateURL(t *testing.T) {
	ok := []struct {
		url      string
		loopback bool
	}{
		{"https://hooks.example.com/chat", false},
		{"https://hooks.example.com:8443/chat?org=1", false},
		{"https://93.184.216.34/x", false},
		{"https://[2606:4700::1111]/x", false},
		{"https://[64:ff9b::5db8:d822]/x", false}, // NAT64 of 93.184.216.34
		{"https://[2002:5db8:d822::1]/x", false},  // 6to4 of 93.184.216.34
		{"https://100.63.255.255/x", false},
		{"https://100.128.0.1/x", false},
		{"https://223.255.255.255/x", false},
		{"http://127.0.0.1:9999/hook", true},
		{"http://localhost:9999/hook", true},
		{"https://localhost:9999/hook", true},
		{"http://[::1]:9999/hook", true},
		{"http://[::ffff:127.0.0.1]:9999/hook", true},
		{"https://example.com/" + strings.Repeat("a", webhook.MaxURLLength-len("https://example.com/")), false},
		// A name's trailing dot, and an IPv4 address in an old form, are
		// what fetch reaches (the WHATWG URL standard's host parser).
		{"https://hooks.example.com./chat", false},
		{"https://93.184.216.34./x", false},
		{"https://0x5d.0xb8.0xd8.0x22/x", false},
		{"http://127.1:9999/hook", true},
		{"http://localhost.:9999/hook", true},
	}
	for _, c := range ok {
		if _, err := webhook.ValidateURL(c.url, c.loopback); err != nil {
			t.Errorf("ValidateURL(%.60q, %v) refused: %v", c.url, c.loopback, err)
		}
	}
	bad := []struct {
		url      string
		loopback bool
	}{
		{"", false},
		{"http://hooks.example.com/chat", false},
		{"http://hooks.example.com/chat", true},
		{"http://127.0.0.1:9999/hook", false},
		{"http://localhost:9999/hook", false},
		{"https://localhost/hook", false},
		{"https://127.0.0.1/hook", false},
		{"http://10.0.0.1:9999/hook", true},
		{"https://10.0.0.1/hook", false},
		{"https://192.168.1.1/hook", false},
		{"https://169.254.169.254/latest", false},
		{"https://[fd00::1]/x", false},
		// IPv4-mapped IPv6 literals are their IPv4 address.
		{"https://[::ffff:127.0.0.1]/x", false},
		{"https://[::ffff:10.0.0.1]/x", false},
		{"https://[::ffff:a9fe:a9fe]/latest", false},
		{"https://[fe80::1%25eth0]/x", false},
		// A zone is refused on any address, public or loopback.
		{"https://[2001:db8::1%25eth0]/", false},
		{"https://[2606:4700::1111%25en0]:8443/hook", false},
		{"http://[::1%25lo]:9999/hook", true},
		{"https://[2001:db8::1%25]/", false},
		{"https://0.0.0.0/x", false},
		{"https://intranet/x", false},
		{"https://printer.local/x", false},
		{"https://user:pass@hooks.example.com/", false},
		{"https://user@hooks.example.com/", false},
		{"http://user:pass@127.0.0.1:9/", true},
		{"https://example.com/" + strings.Repeat("a", webhook.MaxURLLength), false},
		{"ftp://example.com/", false},
		{"javascript:alert(1)", false},
		{"//example.com/x", false},
		{"/relative", false},
		{"https:///nohost", false},
		{"https://exa mple.com/", false},
		{"https://example.com/\u00e9", false},
		{"https://example.com/\n", false},
		{"https://example.com:99999/", false},
		{"https://example.com:/x", false},
		{"https://example.com/#frag", false},
		{"HTTPS://Example.com/", false},
		// fetch reads a host whose last label is a number as an IPv4
		// address in any of its old forms, and a trailing dot as the same
		// name: each of these reaches a loopback, private or link-local
		// address (new URL(...).host in Node says which).
		{"https://127.1/x", false},                    // 127.0.0.1
		{"https://127.0.0.1./x", false},               // 127.0.0.1
		{"https://0177.0.0.1/x", false},               // 127.0.0.1
		{"https://0x7f.0.0.1/x", false},               // 127.0.0.1
		{"https://127.000.000.001/x", false},          // 127.0.0.1
		{"https://2130706433/x", false},               // 127.0.0.1
		{"https://10.1/x", false},                     // 10.0.0.1
		{"https://192.168.1/x", false},                // 192.168.0.1
		{"https://0x0a.0.0.1/x", false},               // 10.0.0.1
		{"https://169.254.169.254./latest", false},    // 169.254.169.254
		{"https://0251.0376.0251.0376/latest", false}, // 169.254.169.254
		{"https://0.0.0.0./x", false},                 // 0.0.0.0
		{"https://0x/x", false},                       // 0.0.0.0
		{"http://10.1:9999/hook", true},               // 10.0.0.1
		{"http://0xa000001:9999/hook", true},          // 10.0.0.1
		{"https://foo.localhost./x", false},
		{"https://printer.local./x", false},
		{"https://intranet./x", false},
		{"https://[::127.0.0.1]/x", false}, // IPv4-compatible, deprecated
		{"https://[::a9fe:a9fe]/latest", false},
		// Special-purpose blocks that no public receiver has (IANA's
		// registries), and translators' forms of internal IPv4 addresses.
		{"https://100.64.0.1/x", false},      // a carrier's NAT
		{"https://100.127.255.254/x", false}, // a carrier's NAT
		{"https://0x64400001/x", false},      // 100.64.0.1
		{"https://0.1.2.3/x", false},         // "this network"
		{"https://192.0.0.8/x", false},
		{"https://192.0.2.10/x", false},
		{"https://198.18.0.1/x", false},
		{"https://198.51.100.7/x", false},
		{"https://203.0.113.9/x", false},
		{"https://224.0.0.1/x", false},
		{"https://240.0.0.1/x", false},
		{"https://255.255.255.255/x", false},
		{"https://[2001:db8::1]/x", false},
		{"https://[3fff::1]/x", false},
		{"https://[2001::1]/x", false}, // Teredo
		{"https://[100::1]/x", false},
		{"https://[fec0::1]/x", false},
		{"https://[ff02::1]/x", false},
		{"https://[64:ff9b::a9fe:a9fe]/latest", false}, // NAT64 of 169.254.169.254
		{"https://[64:ff9b::127.0.0.1]/x", false},
		{"http://[64:ff9b::7f00:1]:9999/hook", true},
		{"https://[64:ff9b:1::a00:1]/x", false},
		{"https://[2002:a00:1::1]/x", false}, // 6to4 of 10.0.0.1
		{"https://[2002:7f00:1::]/x", false}, // 6to4 of 127.0.0.1
		// IPv6 outside 2000::/3 is reserved, not global unicast: SIIT's
		// IPv4-translated forms of internal addresses among it.
		{"https://[::ffff:0:7f00:1]/x", false}, // ::ffff:0:127.0.0.1
		{"https://[::ffff:0:a9fe:a9fe]/latest", false},
		{"https://[::ffff:0:0:a00:1]/x", false},
		{"https://[4000::1]/x", false},
		{"https://[e000::1]/x", false},
		// Hosts that end in a number but are no IPv4 address: fetch
		// refuses them.
		{"https://256.0.0.1/x", false},
		{"https://1.2.3.4.5/x", false},
		{"https://09.0.0.1/x", false},
		{"https://example.0x10/x", false},
		{"https://1.16777216/x", false},
	}
	for _, c := range bad {
		_, err := webhook.ValidateURL(c.url, c.loopback)
		var e *identity.Error
		if err == nil {
			if c.url == "HTTPS://Example.com/" || c.url == "https://example.com:/x" {
				continue // url.Parse lower-cases the scheme; an empty port is no port
			}
			t.Errorf("ValidateURL(%.60q, %v) accepted", c.url, c.loopback)
			continue
		}
		if !asError(err, &e) || e.Code != identity.CodeInvalidRequest || !strings.HasPrefix(e.Message, "url ") {
			t.Errorf("ValidateURL(%.60q): %v, want invalid_request naming url", c.url, err)
		}
	}
}

func asError(err error, e **identity.Error) bool {
	v, ok := err.(*identity.Error)
	*e = v
	return ok
}

func TestParseEvents(t *testing.T) {
	all, err := webhook.ParseEvents(nil, false)
	if err != nil || strings.Join(all, ",") != "session.created,message.created,sessions.claimed,deletion.completed" {
		t.Errorf("default events %v, %v", all, err)
	}
	got, err := webhook.ParseEvents([]string{"message.created", "session.created", "message.created"}, true)
	if err != nil || strings.Join(got, ",") != "session.created,message.created" {
		t.Errorf("ParseEvents = %v, %v", got, err)
	}
	for _, bad := range [][]string{{}, {"message.deleted"}, {"Message.Created"}, {"message.created", ""}, {"message.created "}} {
		_, err := webhook.ParseEvents(bad, true)
		var e *identity.Error
		if !asError(err, &e) || e.Code != identity.CodeInvalidRequest || !strings.HasPrefix(e.Message, "events ") {
			t.Errorf("ParseEvents(%q): %v, want invalid_request naming events", bad, err)
		}
	}
}

// Every replaced secret signs until the overlap after it was replaced,
// however many rotations came since; at most MaxSigning sign at once. Two
// rotations in a row dropped the first secret at the second, hours early.
func TestRotate(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &webhook.Config{Secrets: []webhook.Secret{{Value: "s1", CreatedAt: t0}}}
	c.Rotate("s2", t0.Add(time.Hour), webhook.DefaultOverlap)
	if got := c.Signing(t0.Add(2 * time.Hour)); strings.Join(got, " ") != "s2 s1" {
		t.Errorf("during the overlap: %v", got)
	}
	if got := c.Signing(t0.Add(25 * time.Hour)); strings.Join(got, " ") != "s2" {
		t.Errorf("after the overlap: %v", got)
	}
	c.Rotate("s3", t0.Add(3*time.Hour), webhook.DefaultOverlap)
	for _, tc := range []struct {
		at   time.Duration
		want string
	}{
		{4 * time.Hour, "s3 s2 s1"},
		{25*time.Hour - time.Second, "s3 s2 s1"},
		{25 * time.Hour, "s3 s2"},
		{27*time.Hour - time.Second, "s3 s2"},
		{27 * time.Hour, "s3"},
	} {
		if got := c.Signing(t0.Add(tc.at)); strings.Join(got, " ") != tc.want {
			t.Errorf("after a second rotation, at t0+%v: %v, want %s", tc.at, got, tc.want)
		}
	}
	// A rotation after the overlap keeps none of the expired ones.
	c.Rotate("s4", t0.Add(30*time.Hour), webhook.DefaultOverlap)
	if got := c.Signing(t0.Add(30 * time.Hour)); strings.Join(got, " ") != "s4 s3" || len(c.Secrets) != 2 {
		t.Errorf("after the overlaps: signing %v, stored %d", got, len(c.Secrets))
	}
	// No overlap: the new secret alone.
	c.Rotate("s5", t0.Add(31*time.Hour), 0)
	if got := c.Signing(t0.Add(31 * time.Hour)); strings.Join(got, " ") != "s5" {
		t.Errorf("without overlap: %v", got)
	}
}

// Many rotations within a day: the newest MaxSigning sign, the oldest of
// them until its own end.
func TestRotateBound(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &webhook.Config{Secrets: []webhook.Secret{{Value: "s0", CreatedAt: t0}}}
	for i := 1; i <= webhook.MaxSigning+2; i++ {
		c.Rotate(fmt.Sprintf("s%d", i), t0.Add(time.Duration(i)*time.Minute), webhook.DefaultOverlap)
	}
	got := c.Signing(t0.Add(time.Hour))
	var want []string
	for i := webhook.MaxSigning + 2; i > 2; i-- {
		want = append(want, fmt.Sprintf("s%d", i))
	}
	if strings.Join(got, " ") != strings.Join(want, " ") || len(c.Secrets) != webhook.MaxSigning {
		t.Errorf("signing %v, want %v (%d stored)", got, want, len(c.Secrets))
	}
	if got := c.Signing(t0.Add(24*time.Hour + 4*time.Minute)); len(got) != webhook.MaxSigning-1 || got[len(got)-1] != "s4" {
		t.Errorf("once s3's overlap is over: %v", got)
	}
}

func FuzzValidateURL(f *testing.F) {
	for _, s := range []string{"https://example.com/x", "http://127.0.0.1:1/", "https://u:p@x.com", "https://[::1]/", "https://a.b:0/", "https://[2001:db8::1%25eth0]/", "https://127.1/", "https://10.0.0.1./", "https://0x7f.1/", "https://100.64.0.1/", "https://[64:ff9b::a00:1]/", "https://[2002:a00:1::]/"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, raw string, loopback bool) {
		got, err := webhook.ValidateURL(raw, loopback)
		if err != nil {
			if _, ok := err.(*identity.Error); !ok {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		u, perr := url.Parse(raw)
		if got != raw || perr != nil || u.User != nil || u.Host == "" || len(raw) > webhook.MaxURLLength || strings.ContainsAny(raw, " \n\t#") {
			t.Fatalf("accepted %q", raw)
		}
		if !strings.HasPrefix(strings.ToLower(raw), "https://") && !loopback {
			t.Fatalf("accepted %q, not https", raw)
		}
		if strings.Contains(u.Hostname(), "%") {
			t.Fatalf("accepted %q, whose host has a zone", raw)
		}
		// An address literal that the standard library calls internal, or
		// that is in a block of IANA's registries that the fuzzer names here
		// independently, is never accepted (loopback only in development).
		if ip, err := netip.ParseAddr(strings.TrimSuffix(u.Hostname(), ".")); err == nil {
			ip = ip.Unmap()
			internal := ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsMulticast() || ip.IsUnspecified()
			for _, b := range []string{"100.64.0.0/10", "198.18.0.0/15", "240.0.0.0/4", "0.0.0.0/8", "2001:db8::/32"} {
				internal = internal || netip.MustParsePrefix(b).Contains(ip)
			}
			if internal || ip.IsLoopback() && !loopback {
				t.Fatalf("accepted %q, an internal address", raw)
			}
		}
	})
}
