package attack

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/google/uuid"

	"github.com/chatwidget/identity/worker/test/contract"
)

// Org is one org the runner made, with its one allowed origin.
type Org struct {
	ID, WidgetToken, APIKey, APIKeyID, Origin string
}

// Fixture is what the runner builds through the API before the cases run:
// two orgs, their people and their sessions. Cases build their requests from
// it.
//
// Org A: devices A1, A2 (anonymous contacts), A3 (a contact that claimed the
// victim's email); the verified victim (user_id VictimID, email VictimEmail)
// with a token V without external id and VExt bound to "ws-1"; a verified
// user R whose tokens were revoked; an api key and a second one, deleted.
// Org B: device B1 and a verified user with the victim's user_id.
type Fixture struct {
	A, B Org
	// DeletedKey is an api key of A that the vendor deleted; KG a verified
	// token (of the victim's identity) that key issued before; Impostor a
	// verified token of A whose user_id is the victim's email.
	DeletedKey, KG, Impostor string

	DevA1, DevA2, DevA3, DevB1 string // device ids
	ContactA1                  string // contact id of A1
	CA1, CA2, CA3, CB1         string // their contact tokens
	V, VExt, VB, R             string // verified tokens

	// Sessions: SA1 and SA1b (ext ws-1) of A1, SA2 of A2, SA3 of A3; SV (no
	// ext), SVws1 and SVws2 of the victim; SR of R; SB1 and SBV in org B.
	SA1, SA1b, SA2, SA3, SV, SVws1, SVws2, SR, SB1, SBV string
	// Missing is a session id that does not exist; NotFound the answer body
	// for it, to compare hidden sessions with.
	Missing  string
	NotFound []byte
	// CursorA1 is the next_cursor of A1's listing with limit 1; CursorOrgA
	// that of org A's server listing with limit 1.
	CursorA1, CursorOrgA string

	Issuer string // the iss of the worker's tokens
	// KID and PublicKey are the first key of the worker's JWKS; JWKS is the
	// whole document.
	KID       string
	PublicKey []byte
	JWKS      []byte
	Attacker  ed25519.PrivateKey // a key the worker has never seen
	// ProbeOrigin is an origin no org allows; attacks that would create an
	// org name it, and the observer checks that its preflight stays refused.
	// EvilOrigin is another origin no org allows.
	ProbeOrigin, EvilOrigin string

	adminToken string
	signKID    string             // the worker's signing kid (with key)
	signKey    ed25519.PrivateKey // nil without Target.SigningKeys
	claims     map[string]map[string]any
	err        error // the first failure of setup
}

// The victim: a verified user of org A (and, with the same user_id, of org B).
const (
	VictimID    = "u-victim"
	VictimEmail = "victim@shop-a.example"
	RevokedID   = "u-revoked"
	BoundExt    = "ws-1"
	OtherExt    = "ws-2"
)

// HasKey reports whether the fixture can sign with the worker's key.
func (f *Fixture) HasKey() bool { return f.signKey != nil }

// secrets are every credential of the fixture: no answer may contain one.
func (f *Fixture) secrets() []string {
	var out []string
	for _, v := range []string{f.adminToken, f.A.APIKey, f.B.APIKey, f.DeletedKey,
		f.CA1, f.CA2, f.CA3, f.CB1, f.V, f.VExt, f.VB, f.R, f.KG, f.Impostor} {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// claimsOf returns the decoded claims of one of the fixture's tokens, a copy.
func (f *Fixture) claimsOf(t string) map[string]any { return maps.Clone(f.claims[t]) }

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// setup builds the fixture through the API.
func setup(ctx context.Context, c *contract.Client, t Target) (*Fixture, error) {
	run := randHex(4)
	f := &Fixture{
		adminToken:  t.AdminToken,
		ProbeOrigin: "https://probe-" + run + ".attack.invalid",
		EvilOrigin:  "https://evil-" + run + ".example",
		Missing:     uuid.Must(uuid.NewV7()).String(),
		claims:      map[string]map[string]any{},
	}
	_, f.Attacker, _ = ed25519.GenerateKey(rand.Reader)
	if t.SigningKeys != "" {
		kid, key, err := signingKey(t.SigningKeys)
		if err != nil {
			return nil, fmt.Errorf("Target.SigningKeys: %w", err)
		}
		f.signKID, f.signKey = kid, key
	}
	jwks, err := c.GetJWKS(ctx)
	set := got(f, jwks, err, 200, "GET /.well-known/jwks.json")
	if f.err != nil {
		return nil, f.err
	}
	if len(set.Keys) == 0 {
		return nil, errors.New("GET /.well-known/jwks.json: no keys")
	}
	x, err := base64.RawURLEncoding.DecodeString(set.Keys[0].X)
	if err != nil || len(x) != ed25519.PublicKeySize {
		return nil, errors.New("GET /.well-known/jwks.json: first key has no Ed25519 x")
	}
	f.KID, f.PublicKey, f.JWKS = set.Keys[0].Kid, x, jwks.Body
	if f.signKey != nil && string(f.signKey.Public().(ed25519.PublicKey)) != string(f.PublicKey) {
		return nil, errors.New("Target.SigningKeys does not hold the key the worker publishes first in its JWKS")
	}

	f.A = f.makeOrg(ctx, c, "Attack suite A "+run, "https://shop-a-"+run+".example")
	f.B = f.makeOrg(ctx, c, "Attack suite B "+run, "https://shop-b-"+run+".example")
	// A second api key of A, deleted at once.
	vendor := c.With(contract.Bearer(t.AdminToken))
	key, err := vendor.CreateAPIKey(ctx, f.A.ID)
	f.DeletedKey = got(f, key, err, 201, "create api key").APIKey.Secret
	f.need(f.DeletedKey, "create api key: no api_key in the answer")
	deletedKey := f.A
	deletedKey.APIKey = f.DeletedKey
	f.KG = f.authenticate(ctx, c, deletedKey, contract.AuthenticateRequest{UserID: VictimID})
	del, err := vendor.DeleteAPIKey(ctx, f.A.ID, key.Value.APIKey.ID)
	got(f, del, err, 204, "delete api key")

	f.DevA1, f.DevA2, f.DevA3, f.DevB1 = uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()
	f.CA1, f.ContactA1 = f.contact(ctx, c, f.A, contract.ContactRequest{DeviceID: f.DevA1, Name: "Ann", CustomData: map[string]any{"plan": "free"}})
	f.CA2, _ = f.contact(ctx, c, f.A, contract.ContactRequest{DeviceID: f.DevA2})
	f.CA3, _ = f.contact(ctx, c, f.A, contract.ContactRequest{DeviceID: f.DevA3, Name: "Victim", Email: VictimEmail})
	f.CB1, _ = f.contact(ctx, c, f.B, contract.ContactRequest{DeviceID: f.DevB1, Name: "Bea"})

	f.V = f.authenticate(ctx, c, f.A, contract.AuthenticateRequest{UserID: VictimID, Email: VictimEmail, Name: "Victim"})
	f.VExt = f.authenticate(ctx, c, f.A, contract.AuthenticateRequest{UserID: VictimID, Email: VictimEmail, ExternalID: BoundExt})
	f.VB = f.authenticate(ctx, c, f.B, contract.AuthenticateRequest{UserID: VictimID, Email: VictimEmail})
	f.R = f.authenticate(ctx, c, f.A, contract.AuthenticateRequest{UserID: RevokedID})
	f.Impostor = f.authenticate(ctx, c, f.A, contract.AuthenticateRequest{UserID: VictimEmail})

	// Sessions and messages.
	widget := func(o Org, tok string) *contract.Client {
		return c.With(contract.WidgetToken(o.WidgetToken), contract.Bearer(tok))
	}
	for _, s := range []struct {
		dst      *string
		org      Org
		tok, ext string
	}{
		{&f.SA1, f.A, f.CA1, ""}, {&f.SA1b, f.A, f.CA1, BoundExt}, {&f.SA2, f.A, f.CA2, ""}, {&f.SA3, f.A, f.CA3, ""},
		{&f.SV, f.A, f.V, ""}, {&f.SVws1, f.A, f.VExt, ""}, {&f.SVws2, f.A, f.V, OtherExt}, {&f.SR, f.A, f.R, ""},
		{&f.SB1, f.B, f.CB1, ""}, {&f.SBV, f.B, f.VB, ""},
	} {
		out, err := widget(s.org, s.tok).CreateSession(ctx, contract.SessionRequest{ExternalID: s.ext})
		*s.dst = got(f, out, err, 201, "create session").Session.ID
		f.need(*s.dst, "create session: no session id in the answer")
	}
	for _, m := range []struct {
		org       Org
		tok, sess string
	}{{f.A, f.CA1, f.SA1}, {f.A, f.V, f.SV}, {f.B, f.CB1, f.SB1}} {
		out, err := widget(m.org, m.tok).PostUserMessage(ctx, m.sess, "hello")
		got(f, out, err, 201, "post message")
	}
	server := c.With(contract.Bearer(f.A.APIKey))
	agent, err := server.PostAgentMessage(ctx, f.SA1, contract.MessageRequest{Content: "hi, how can I help?", AuthorName: "Agent"})
	got(f, agent, err, 201, "post agent message")
	// Revoke R after its session exists.
	revoked, err := server.Revoke(ctx, contract.Identity{UserID: RevokedID})
	got(f, revoked, err, 200, "revoke")

	// What a hidden session must look like: a session that does not exist.
	missing, err := widget(f.A, f.CA2).GetSession(ctx, f.Missing, "")
	got(f, missing, err, 404, "get a session that does not exist")
	f.NotFound = missing.Body

	// Cursors of others' listings.
	a1, err := widget(f.A, f.CA1).ListSessions(ctx, "", contract.Page{Limit: 1})
	f.CursorA1 = f.nextCursor(a1, err)
	orgA, err := server.ListOrgSessions(ctx, contract.SessionFilter{}, contract.Page{Limit: 1})
	f.CursorOrgA = f.nextCursor(orgA, err)

	if f.Issuer, _ = f.claims[f.CA1]["iss"].(string); f.Issuer == "" {
		f.fail(errors.New("contact token without iss"))
	}
	if f.err != nil {
		return nil, f.err
	}
	return f, nil
}

// fail keeps the first error of setup.
func (f *Fixture) fail(err error) {
	if f.err == nil {
		f.err = err
	}
}

// need fails setup when v is empty.
func (f *Fixture) need(v, what string) {
	if v == "" {
		f.fail(errors.New(what))
	}
}

// got returns a typed call's value, and fails setup unless it answered
// want; what names the call.
func got[T any](f *Fixture, c contract.Call[T], err error, want int, what string) T {
	switch {
	case err != nil:
		f.fail(fmt.Errorf("%s: %w", what, err))
	case c.Status != want:
		f.fail(fmt.Errorf("%s: got %s, want %d", what, (&Response{Status: c.Status, Body: c.Body}).describe(), want))
	}
	return c.Value
}

func (f *Fixture) makeOrg(ctx context.Context, c *contract.Client, name, origin string) Org {
	call, err := c.With(contract.Bearer(f.adminToken)).CreateOrg(ctx, contract.CreateOrgRequest{Name: name, AllowedOrigins: []string{origin}})
	out := got(f, call, err, 201, "create org (is Target.AdminToken the worker's ADMIN_TOKEN?)")
	if f.err == nil && (out.Org.ID == "" || out.Org.WidgetToken == "" || out.APIKey.Secret == "") {
		f.fail(errors.New("create org: answer lacks org.id, org.widget_token or api_key.secret"))
	}
	return Org{ID: out.Org.ID, WidgetToken: out.Org.WidgetToken, APIKey: out.APIKey.Secret, APIKeyID: out.APIKey.ID, Origin: origin}
}

func (f *Fixture) contact(ctx context.Context, c *contract.Client, o Org, req contract.ContactRequest) (tok, id string) {
	call, err := c.With(contract.WidgetToken(o.WidgetToken)).CreateContact(ctx, req)
	out := got(f, call, err, 200, "create contact")
	f.need(out.Token, "create contact: no token in the answer")
	f.remember(out.Token)
	return out.Token, out.Contact.ID
}

func (f *Fixture) authenticate(ctx context.Context, c *contract.Client, o Org, req contract.AuthenticateRequest) string {
	call, err := c.With(contract.Bearer(o.APIKey)).Authenticate(ctx, req)
	out := got(f, call, err, 200, "authenticate")
	f.need(out.Token, "authenticate: no token in the answer")
	f.remember(out.Token)
	return out.Token
}

func (f *Fixture) remember(tok string) {
	if f.err != nil {
		return
	}
	m, err := claimsOf(tok)
	if err != nil {
		f.fail(fmt.Errorf("a token the worker issued: %w", err))
	}
	f.claims[tok] = m
}

// nextCursor is the next_cursor of a listing with limit=1.
func (f *Fixture) nextCursor(c contract.Call[contract.SessionList], err error) string {
	out := got(f, c, err, 200, "list sessions")
	if f.err == nil && (out.NextCursor == nil || *out.NextCursor == "") {
		f.fail(errors.New("list sessions with limit=1: no next_cursor"))
	}
	if out.NextCursor == nil {
		return ""
	}
	return *out.NextCursor
}

// redact replaces every secret in s.
func redact(s string, secrets []string) string {
	for _, v := range secrets {
		if len(v) >= 8 {
			s = strings.ReplaceAll(s, v, "[REDACTED]")
		}
	}
	return s
}
