package identity_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/identity"
)

const (
	orgA    = "org-a"
	orgB    = "org-b"
	device1 = "0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
	device2 = "5d9c1e2f-3a4b-4c5d-9e6f-7a8b9c0d1e2f"
)

// contact is the principal of a contact token; id stands for the contact's
// id (one contact per device and org).
func contact(org, id string) identity.Principal {
	return identity.Principal{OrgID: org, Kind: identity.KindContact, Subject: id}
}

// verified is the principal of a verified token for the email identity email.
func verified(org, email, ext string) identity.Principal {
	return identity.Principal{OrgID: org, Kind: identity.KindVerified, Subject: identity.KeyOf("", email).String(), Email: identity.FoldEmail(email), ExternalID: ext}
}

// verifiedUserID is the principal of a verified token for the user_id uid.
func verifiedUserID(org, uid string) identity.Principal {
	return identity.Principal{OrgID: org, Kind: identity.KindVerified, Subject: identity.KeyOf(uid, "").String(), UserID: uid}
}

// sessionBy returns a session created by p, as the API creates them.
func sessionBy(p identity.Principal, ext string) *identity.Session {
	s := &identity.Session{ID: "s", OrgID: p.OrgID, Owner: p.Owner(""), Verified: p.Verified()}
	if ext != "" {
		s.ExternalID = &ext
	}
	return s
}

func TestPrincipalKey(t *testing.T) {
	tests := []struct {
		name string
		p    identity.Principal
		want string
	}{
		{"contact", contact(orgA, device1), "c:" + device1},
		{"verified by user_id", verifiedUserID(orgA, "u-42"), "u:u-42"},
		{"verified by email", verified(orgA, "Ann@Example.com", ""), "e:ann@example.com"},
		{"external id is not part of the key", verified(orgA, "ann@example.com", "ws-1"), "e:ann@example.com"},
		{"org is not part of the key", verified(orgB, "ann@example.com", ""), "e:ann@example.com"},
		{"zero kind is a contact", identity.Principal{Subject: "x"}, "c:x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Key(); got != tt.want {
				t.Errorf("Key() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPrincipalKeySpacesNeverCross(t *testing.T) {
	// Rule 3: whatever the subjects, a contact key is never a verified key.
	for _, subject := range []string{device1, "ann@example.com", "v:x", "d:x", "u:x", "e:x", "c:x", "", ":"} {
		c := identity.Principal{Kind: identity.KindContact, Subject: subject}
		for _, other := range []string{device1, "ann@example.com", "v:x", "d:x", "", ":", "x", "c:x"} {
			for _, k := range []identity.Key{identity.KeyOf(other, ""), identity.KeyOf("", other)} {
				v := identity.Principal{Kind: identity.KindVerified, Subject: k.String()}
				if c.Key() == v.Key() {
					t.Errorf("contact %q and verified %q share key %q", subject, k, c.Key())
				}
			}
		}
	}
	// What a stored verified key can be (a Key's written form) never
	// starts like the keys of before kinds ("v:", "d:") or a contact's.
	for _, other := range []string{"x", "v:x", "d:x", "c:x"} {
		for _, k := range []identity.Key{identity.KeyOf(other, ""), identity.KeyOf("", other)} {
			v := identity.Principal{Kind: identity.KindVerified, Subject: k.String()}
			for _, p := range []string{"v:", "d:", "c:"} {
				if strings.HasPrefix(v.Key(), p) {
					t.Errorf("verified key %q starts with %q", v.Key(), p)
				}
			}
		}
	}
}

func TestPrincipalOwner(t *testing.T) {
	c := contact(orgA, device1)
	o := c.Owner("claimed@example.com")
	want := identity.Owner{Key: c.Key(), Verified: false, ContactID: device1, Email: "claimed@example.com"}
	if o != want {
		t.Errorf("contact owner = %+v, want %+v", o, want)
	}
	v := identity.Principal{OrgID: orgA, Kind: identity.KindVerified, Subject: "u:u-1", UserID: "u-1", Email: "ann@example.com"}
	o = v.Owner("claimed@example.com")
	want = identity.Owner{Key: "u:u-1", Verified: true, UserID: "u-1", Email: "ann@example.com"}
	if o != want {
		t.Errorf("verified owner = %+v, want %+v (a claimed email never replaces the signed one)", o, want)
	}
}

// Rule 1: a contact token sees exactly the sessions created with a contact
// token of its org and device.
func TestRule1ContactSeesItsDeviceOnly(t *testing.T) {
	me := contact(orgA, device1)
	tests := []struct {
		name string
		s    *identity.Session
		want bool
	}{
		{"own session", sessionBy(me, ""), true},
		{"own session with external id", sessionBy(me, "ws-1"), true},
		{"other device", sessionBy(contact(orgA, device2), ""), false},
		{"same device, other org", sessionBy(contact(orgB, device1), ""), false},
		{"verified user whose user_id is the contact id", sessionBy(verifiedUserID(orgA, device1), ""), false},
		{"verified user whose user_id is the contact's key", sessionBy(verifiedUserID(orgA, "c:"+device1), ""), false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := identity.CanSee(me, tt.s); got != tt.want {
				t.Errorf("CanSee = %v, want %v", got, tt.want)
			}
		})
	}
}

// Rule 2: a verified token sees exactly the sessions created with a verified
// token of its org and identity key, from any device.
func TestRule2VerifiedSeesItsIdentity(t *testing.T) {
	me := verified(orgA, "ann@example.com", "")
	fromOtherDevice := verified(orgA, "ann@example.com", "") // tokens do not name a device
	tests := []struct {
		name string
		s    *identity.Session
		want bool
	}{
		{"own session", sessionBy(me, ""), true},
		{"own session made on another device", sessionBy(fromOtherDevice, ""), true},
		{"own session with an external id", sessionBy(me, "ws-1"), true},
		{"other identity", sessionBy(verified(orgA, "bob@example.com", ""), ""), false},
		{"same identity, other org", sessionBy(verified(orgB, "ann@example.com", ""), ""), false},
		{"the same email in other ASCII case", sessionBy(verified(orgA, "Ann@EXAMPLE.com", ""), ""), true},
		{"a user_id that is the email", sessionBy(verifiedUserID(orgA, "ann@example.com"), ""), false},
		{"a user_id that is the email's key", sessionBy(verifiedUserID(orgA, "e:ann@example.com"), ""), false},
		{"a Cyrillic look-alike", sessionBy(verified(orgA, "\u0430nn@example.com", ""), ""), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := identity.CanSee(me, tt.s); got != tt.want {
				t.Errorf("CanSee = %v, want %v", got, tt.want)
			}
		})
	}
}

// Rule 3: the two never cross.
func TestRule3ContactAndVerifiedNeverCross(t *testing.T) {
	email := "ann@example.com"
	user := verified(orgA, email, "")
	dev := contact(orgA, device1)

	// A verified user does not see the device's non-verified sessions.
	if identity.CanSee(user, sessionBy(dev, "")) {
		t.Error("verified user sees a contact session")
	}
	// A contact claiming the user's email sees none of the user's sessions.
	claimer := dev
	claimer.Email = email
	s := sessionBy(user, "")
	if identity.CanSee(claimer, s) {
		t.Error("contact claiming the email sees a verified session")
	}
	// Even a session record whose key matches but whose verified flag does
	// not is refused: the flag is checked on its own.
	forged := sessionBy(dev, "")
	forged.Owner.Verified = true
	if identity.CanSee(dev, forged) {
		t.Error("contact sees a session marked verified")
	}
	forged = sessionBy(user, "")
	forged.Owner.Verified = false
	if identity.CanSee(user, forged) {
		t.Error("verified user sees a session marked non-verified")
	}
}

// Rule 4, seeing: a verified token with an external id sees only sessions
// with that external id.
func TestRule4CanSeeWithSignedExternalID(t *testing.T) {
	me := verified(orgA, "u-1", "ws-1")
	noExt := verified(orgA, "u-1", "")
	tests := []struct {
		name string
		s    *identity.Session
		want bool
	}{
		{"same external id", sessionBy(me, "ws-1"), true},
		{"no external id", sessionBy(noExt, ""), false},
		{"other external id", sessionBy(noExt, "ws-2"), false},
		{"external ids are case sensitive", sessionBy(noExt, "WS-1"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := identity.CanSee(me, tt.s); got != tt.want {
				t.Errorf("CanSee = %v, want %v", got, tt.want)
			}
		})
	}
	// Without a signed external id, every own session is visible.
	for _, ext := range []string{"", "ws-1", "ws-2"} {
		if !identity.CanSee(noExt, sessionBy(noExt, ext)) {
			t.Errorf("token without external id does not see own session with %q", ext)
		}
	}
}

// Rule 4, creating and listing: ScopeExternalID.
func TestRule4ScopeExternalID(t *testing.T) {
	str := func(s string) *string { return &s }
	tests := []struct {
		name      string
		p         identity.Principal
		requested *string
		want      string
		wantErr   error
	}{
		{"signed, none requested", verified(orgA, "u", "ws-1"), nil, "ws-1", nil},
		{"signed, same requested", verified(orgA, "u", "ws-1"), str("ws-1"), "ws-1", nil},
		{"signed, other requested", verified(orgA, "u", "ws-1"), str("ws-2"), "", identity.ErrExternalIDMismatch},
		{"signed, empty requested", verified(orgA, "u", "ws-1"), str(""), "", identity.ErrInvalidRequest},
		{"signed, requested too long", verified(orgA, "u", "ws-1"), str(strings.Repeat("x", 257)), "", identity.ErrInvalidRequest},
		{"signed, requested control char", verified(orgA, "u", "ws-1"), str("ws-1\x00"), "", identity.ErrInvalidRequest},
		{"signed, other case", verified(orgA, "u", "ws-1"), str("WS-1"), "", identity.ErrExternalIDMismatch},
		{"verified unsigned, none", verified(orgA, "u", ""), nil, "", nil},
		{"verified unsigned, requested", verified(orgA, "u", ""), str("ws-9"), "ws-9", nil},
		{"contact, none", contact(orgA, device1), nil, "", nil},
		{"contact, requested", contact(orgA, device1), str("ws-9"), "ws-9", nil},
		{"contact, requested too long", contact(orgA, device1), str(strings.Repeat("x", 257)), "", identity.ErrInvalidRequest},
		{"contact, requested control char", contact(orgA, device1), str("ws\n9"), "", identity.ErrInvalidRequest},
		{"contact, requested empty", contact(orgA, device1), str(""), "", identity.ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := identity.ScopeExternalID(tt.p, tt.requested)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if tt.wantErr != nil && strings.Contains(fmt.Sprint(err), "invalid_request") && !strings.Contains(err.Error(), "external_id") {
				t.Errorf("message does not name external_id: %v", err)
			}
		})
	}
}

// Rules 5 and 6 are enforced by token verification (audience) and by the
// store keeping browser data apart; they are tested end to end in package
// api. What the domain contributes: a session never carries verified custom
// data, only non_verified_custom_data, and the org is part of every check.
func TestRule5OrgIsPartOfEveryCheck(t *testing.T) {
	for _, p := range []identity.Principal{contact(orgA, device1), verified(orgA, "u", ""), verified(orgA, "u", "ws")} {
		s := sessionBy(p, p.ExternalID)
		if !identity.CanSee(p, s) {
			t.Fatalf("%+v does not see own session", p)
		}
		s.OrgID = orgB
		if identity.CanSee(p, s) {
			t.Errorf("%+v sees a session of another org", p)
		}
	}
}

func ExampleCanSee() {
	ann := identity.Principal{OrgID: "org-1", Kind: identity.KindVerified, Subject: "ann@example.com"}
	device := identity.Principal{OrgID: "org-1", Kind: identity.KindContact, Subject: "0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"}

	s := &identity.Session{OrgID: "org-1", Owner: ann.Owner(""), Verified: true}
	fmt.Println(identity.CanSee(ann, s))
	fmt.Println(identity.CanSee(device, s))
	// Output:
	// true
	// false
}

func ExampleScopeExternalID() {
	signed := identity.Principal{OrgID: "org-1", Kind: identity.KindVerified, Subject: "u-1", ExternalID: "workspace-42"}

	ext, err := identity.ScopeExternalID(signed, nil)
	fmt.Printf("%q %v\n", ext, err)

	other := "workspace-7"
	_, err = identity.ScopeExternalID(signed, &other)
	fmt.Println(identity.ErrorCode(err))
	// Output:
	// "workspace-42" <nil>
	// external_id_mismatch
}

func ExamplePrincipal_Key() {
	fmt.Println(identity.Principal{Kind: identity.KindContact, Subject: "0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"}.Key())
	fmt.Println(identity.Principal{Kind: identity.KindVerified, Subject: identity.KeyOf("", "Ann@Example.com").String()}.Key())
	fmt.Println(identity.Principal{Kind: identity.KindVerified, Subject: identity.KeyOf("ann@example.com", "").String()}.Key())
	// Output:
	// c:0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b
	// e:ann@example.com
	// u:ann@example.com
}

// claimed is s after v claimed it, as the store writes it.
func claimed(v identity.Principal, s *identity.Session) *identity.Session {
	c := *s
	c.Owner = v.Owner("")
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	c.ClaimedAt = &at
	return &c
}

// Rules 1 and 2 as amended: a claimed session is the claimer's from any
// device and no longer the contact's; it keeps verified false; and only the
// claimer's identity sees it.
func TestClaimedSessionsChangeHands(t *testing.T) {
	c1, c2 := contact(orgA, "c-1"), contact(orgA, "c-2")
	ann := verifiedUserID(orgA, "ann")
	annElsewhere := verifiedUserID(orgA, "ann") // another token, another device
	annByEmail := verified(orgA, "ann@example.com", "")
	annOrgB := verifiedUserID(orgB, "ann")
	s := sessionBy(c1, "")
	if !identity.Claimable(ann, c1, s) {
		t.Fatal("ann cannot claim c-1's session with c-1's token")
	}
	for name, ok := range map[string]bool{
		"with another contact's token":     identity.Claimable(ann, c2, s),
		"by a contact":                     identity.Claimable(c2, c1, s),
		"with a verified token as contact": identity.Claimable(ann, annElsewhere, sessionBy(annElsewhere, "")),
		"across orgs":                      identity.Claimable(annOrgB, c1, s),
		"a session of another org":         identity.Claimable(annOrgB, contact(orgB, "c-1"), s),
		"claimed already":                  identity.Claimable(annByEmail, c1, claimed(ann, s)),
	} {
		if ok {
			t.Errorf("claimable %s", name)
		}
	}
	cs := claimed(ann, s)
	if cs.Verified {
		t.Error("a claimed session became verified")
	}
	for p, want := range map[*identity.Principal]bool{&ann: true, &annElsewhere: true, &c1: false, &c2: false, &annByEmail: false, &annOrgB: false} {
		if got := identity.CanSee(*p, cs); got != want {
			t.Errorf("CanSee(%+v, claimed) = %v, want %v", *p, got, want)
		}
	}
	// A token bound to an external id claims only that workspace's.
	bound := verified(orgA, "ann@example.com", "ws-1")
	if !identity.Claimable(bound, c1, sessionBy(c1, "ws-1")) || identity.Claimable(bound, c1, sessionBy(c1, "ws-2")) || identity.Claimable(bound, c1, s) {
		t.Error("a bound token's claim crosses workspaces")
	}
}
