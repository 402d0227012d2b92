package token

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// verifiedMap is a valid verified token's claims at now, as a map to damage.
func verifiedMap(now time.Time) jwt.MapClaims {
	c := contactMap(now)
	delete(c, "cid")
	c["kind"], c["sub"], c["uid"], c["akid"] = "verified", "u:u-1", "u-1", "key-1"
	return c
}

// Issue 19: no token carries a device id (contact tokens name the contact),
// a verified token names exactly the identity of its signed uid and email,
// and it names the api key that asked for it. Tokens of the shape issued
// before (device id in sub, a bare identity key, no akid) are refused.
func TestVerifyRefusesTokensOfAnotherShape(t *testing.T) {
	now := t0
	s := newTestService(t, &now)
	with := func(base jwt.MapClaims, kv ...any) jwt.MapClaims {
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(base, kv[i].(string))
			} else {
				base[kv[i].(string)] = kv[i+1]
			}
		}
		return base
	}
	if _, err := s.Verify(signEd(t, 1, nil, contactMap(t0)), testOrg); err != nil {
		t.Fatalf("valid contact token: %v", err)
	}
	if _, err := s.Verify(signEd(t, 1, nil, verifiedMap(t0)), testOrg); err != nil {
		t.Fatalf("valid verified token: %v", err)
	}
	tests := []struct {
		name   string
		claims jwt.MapClaims
		reason string
	}{
		{"contact token of before: the device id in sub", with(contactMap(t0), "sub", "0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"), reasonSubCID},
		{"contact token whose sub is another contact", with(contactMap(t0), "sub", "contact-2"), reasonSubCID},
		{"contact token with akid", with(contactMap(t0), "akid", "key-1"), reasonCrossKind},
		{"verified token of before: a bare user_id in sub", with(verifiedMap(t0), "sub", "u-1"), reasonSubKey},
		{"verified token of before: a bare email in sub", with(verifiedMap(t0), "sub", "ann@example.com", "uid", nil, "email", "ann@example.com"), reasonSubKey},
		{"verified token without akid", with(verifiedMap(t0), "akid", nil), reasonNoAPIKey},
		{"verified token with empty akid", with(verifiedMap(t0), "akid", ""), reasonNoAPIKey},
		{"sub of the email kind, uid signed", with(verifiedMap(t0), "sub", "e:u-1"), reasonSubKey},
		{"sub names the email while uid wins", with(verifiedMap(t0), "sub", "e:ann@example.com", "email", "ann@example.com"), reasonSubKey},
		{"user_id that looks like the email's key", with(verifiedMap(t0), "sub", "e:victim@x.com", "uid", "e:victim@x.com"), reasonSubKey},
		{"email case left in sub", with(verifiedMap(t0), "sub", "e:Ann@example.com", "uid", nil, "email", "Ann@example.com"), reasonSubKey},
		{"Unicode-folded email in sub", with(verifiedMap(t0), "sub", "e:kim@example.com", "uid", nil, "email", "\u212aim@example.com"), reasonSubKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Verify(signEd(t, 1, nil, tt.claims), testOrg)
			checkVerifyError(t, err, ErrInvalid)
			if err.Error() != fail(ErrInvalid, tt.reason).Error() {
				t.Errorf("Verify: %v, want reason %q", err, tt.reason)
			}
		})
	}
}

func TestIssueRefusesAnotherShape(t *testing.T) {
	now := t0
	s := newTestService(t, &now)
	for name, c := range map[string]Claims{
		"contact sub is not cid":   {RegisteredClaims: jwt.RegisteredClaims{Subject: "device", Audience: jwt.ClaimStrings{testOrg}}, Kind: KindContact, ContactID: "c"},
		"verified without akid":    {RegisteredClaims: jwt.RegisteredClaims{Subject: "u:u", Audience: jwt.ClaimStrings{testOrg}}, Kind: KindVerified, UserID: "u"},
		"verified sub not its key": {RegisteredClaims: jwt.RegisteredClaims{Subject: "u", Audience: jwt.ClaimStrings{testOrg}}, Kind: KindVerified, UserID: "u", APIKeyID: "k"},
		"contact with akid":        {RegisteredClaims: jwt.RegisteredClaims{Subject: "c", Audience: jwt.ClaimStrings{testOrg}}, Kind: KindContact, ContactID: "c", APIKeyID: "k"},
	} {
		if tok, _, err := s.Issue(c, time.Hour); err == nil {
			t.Errorf("%s: issued %s", name, tok)
		}
	}
	// The email's ASCII letters are lower-cased, and only those.
	tok, _, err := s.Issue(Claims{RegisteredClaims: jwt.RegisteredClaims{Subject: "e:zoË@example.com", Audience: jwt.ClaimStrings{testOrg}}, Kind: KindVerified, Email: "ZOË@Example.com", APIKeyID: "k"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Verify(tok, testOrg)
	if err != nil || c.Email != "zoË@example.com" {
		t.Fatalf("Verify = %+v, %v", c, err)
	}
}
