package token

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// FuzzVerify: Verify never panics, returns claims xor an error, the error
// wraps exactly one sentinel with a fixed message, and what it accepts is a
// well-formed token of the org asked for.
func FuzzVerify(f *testing.F) {
	now := t0
	s := newTestService(f, &now)
	contact, _, err := s.Issue(Claims{
		RegisteredClaims: jwt.RegisteredClaims{Subject: "c-1", Audience: jwt.ClaimStrings{testOrg}},
		Kind:             KindContact, ContactID: "c-1",
	}, time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	verified, _, err := s.Issue(Claims{
		RegisteredClaims: jwt.RegisteredClaims{Subject: "e:a@b.c", Audience: jwt.ClaimStrings{testOrg}},
		Kind:             KindVerified, Email: "a@b.c", ExternalID: "w", APIKeyID: "key-1",
	}, time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	h, p, _ := parts(f, contact)
	for _, seed := range []string{
		contact, verified, "", ".", "..", "a.b.", h + "." + p + ".", h + "." + p,
		contact + "x", strings.Replace(contact, ".", "..", 1),
		"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
		signEd(f, 1, nil, contactMap(t0.Add(-2*time.Hour))),
		signEd(f, 1, map[string]any{"kid": "../../x"}, contactMap(t0)),
	} {
		f.Add(seed, testOrg)
	}
	f.Add(contact, otherOrg)
	f.Add(verified, "")

	messages := verifyMessages()
	f.Fuzz(func(t *testing.T, token, orgID string) {
		c, err := s.Verify(token, orgID)
		if err != nil {
			if c != nil {
				t.Fatalf("claims and error: %+v, %v", c, err)
			}
			if got := sentinels(err); len(got) != 1 {
				t.Fatalf("error %v wraps %v", err, got)
			}
			if !messages[err.Error()] {
				t.Fatalf("unexpected message %q", err.Error())
			}
			return
		}
		if c == nil {
			t.Fatal("no claims, no error")
		}
		if len(token) > MaxTokenBytes || c.Issuer != testIssuer || c.Subject == "" || c.ID == "" ||
			!c.Kind.Valid() || (c.Kind == KindContact && c.ContactID == "") ||
			c.ExpiresAt == nil || c.IssuedAt == nil || orgID == "" {
			t.Fatalf("accepted %q: %+v", token, c)
		}
		found := false
		for _, a := range c.Audience {
			found = found || a == orgID
		}
		if !found {
			t.Fatalf("accepted %q for %q: aud %q", token, orgID, c.Audience)
		}
	})
}

// FuzzParseKeyRing: ParseKeyRing never panics, never quotes its input in an
// error, and a ring it returns has distinct valid kids and keys that work.
func FuzzParseKeyRing(f *testing.F) {
	for _, seed := range []string{
		testEntry("a1", 1),
		testEntry("a1", 1) + "," + testEntry("a2", 2),
		testEntry("k", 3) + "\n" + testEntry("k", 4),
		"", " , ", "a1", "a1:", ":", "a:b:c", "a:AAAA", "a:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"kid/x:" + testEntry("", 5),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		r, err := ParseKeyRing(spec)
		if err != nil {
			if r != nil {
				t.Fatal("ring and error")
			}
			if !errors.Is(err, ErrKeyRing) {
				t.Fatalf("error %v does not wrap ErrKeyRing", err)
			}
			checkKeyRingMessage(t, err)
			return
		}
		kids := r.KIDs()
		if len(kids) == 0 || r.SigningKID() != kids[0] {
			t.Fatalf("kids %q, signing %q", kids, r.SigningKID())
		}
		seen := map[string]bool{}
		for _, kid := range kids {
			if !validKID(kid) || seen[kid] || !strings.Contains(spec, kid+":") {
				t.Fatalf("kid %q", kid)
			}
			seen[kid] = true
		}
		now := t0
		s := NewService(r, testIssuer, WithClock(func() time.Time { return now }))
		tok, _, err := s.Issue(Claims{
			RegisteredClaims: jwt.RegisteredClaims{Subject: "c", Audience: jwt.ClaimStrings{testOrg}},
			Kind:             KindContact, ContactID: "c",
		}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Verify(tok, testOrg); err != nil {
			t.Fatal(err)
		}
	})
}
