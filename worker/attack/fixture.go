package attack

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/chatwidget/identity/worker/test/contract"
)

// Org is one org the runner made.
type Org struct {
	ID          string
	WidgetToken string
	APIKey      string
	APIKeyID    string
	Origin      string // its one allowed origin
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
	// token (of the victim's identity) that key issued before.
	DeletedKey string
	KG         string
	// Impostor is a verified token of A whose user_id is the victim's email.
	Impostor string

	DevA1, DevA2, DevA3, DevB1 string // device ids
	ContactA1                  string // contact id of A1
	CA1, CA2, CA3, CB1         string // their contact tokens
	V, VExt, VB, R             string // verified tokens

	// Sessions: SA1 and SA1b (ext ws-1) of A1, SA2 of A2, SA3 of A3; SV (no
	// ext), SVws1 and SVws2 of the victim; SR of R; SB1 and SBV in org B.
	SA1, SA1b, SA2, SA3, SV, SVws1, SVws2, SR, SB1, SBV string
	// Missing is a session id that does not exist.
	Missing string
	// NotFound is the answer body for Missing, to compare hidden sessions with.
	NotFound []byte
	// CursorA1 is the next_cursor of A1's listing with limit 1; CursorOrgA
	// that of org A's server listing with limit 1.
	CursorA1, CursorOrgA string

	// Issuer is the iss of the worker's tokens.
	Issuer string
	// KID and PublicKey are the first key of the worker's JWKS; JWKS is the
	// whole document.
	KID       string
	PublicKey []byte
	JWKS      []byte
	// Attacker is a key the worker has never seen.
	Attacker ed25519.PrivateKey
	// ProbeOrigin is an origin no org allows; attacks that would create an
	// org name it, and the observer checks that its preflight stays refused.
	ProbeOrigin string
	// EvilOrigin is another origin no org allows.
	EvilOrigin string

	adminToken string
	signKID    string             // the worker's signing kid (with key)
	signKey    ed25519.PrivateKey // nil without Target.SigningKeys
	claims     map[string]map[string]any
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
	s := []string{f.adminToken, f.A.APIKey, f.B.APIKey, f.DeletedKey,
		f.CA1, f.CA2, f.CA3, f.CB1, f.V, f.VExt, f.VB, f.R, f.KG, f.Impostor}
	out := s[:0]
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// claimsOf returns the decoded claims of one of the fixture's tokens, a copy.
func (f *Fixture) claimsOf(t string) map[string]any { return clone(f.claims[t]) }

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// setup builds the fixture through the API.
func setup(ctx context.Context, c *client, t Target) (*Fixture, error) {
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
	if err := f.readJWKS(ctx, c); err != nil {
		return nil, err
	}
	if f.signKey != nil && !bytesEqual(f.signKey.Public().(ed25519.PublicKey), f.PublicKey) {
		return nil, errors.New("Target.SigningKeys does not hold the key the worker publishes first in its JWKS")
	}

	var err error
	if f.A, err = makeOrg(ctx, c, t.AdminToken, "Attack suite A "+run, "https://shop-a-"+run+".example"); err != nil {
		return nil, err
	}
	if f.B, err = makeOrg(ctx, c, t.AdminToken, "Attack suite B "+run, "https://shop-b-"+run+".example"); err != nil {
		return nil, err
	}
	// A second api key of A, deleted at once.
	vendor := c.c.With(contract.Bearer(t.AdminToken))
	key, err := got(vendor.CreateAPIKey(ctx, f.A.ID))(201, "create api key")
	if err != nil {
		return nil, err
	}
	if key.APIKey.Secret == "" {
		return nil, errors.New("create api key: no api_key in the answer")
	}
	f.DeletedKey = key.APIKey.Secret
	deletedKey := f.A
	deletedKey.APIKey = key.APIKey.Secret
	if f.KG, err = f.authenticate(ctx, c, deletedKey, contract.AuthenticateRequest{UserID: VictimID}); err != nil {
		return nil, err
	}
	if _, err := got(vendor.DeleteAPIKey(ctx, f.A.ID, key.APIKey.ID))(204, "delete api key"); err != nil {
		return nil, err
	}

	// Contacts.
	f.DevA1, f.DevA2, f.DevA3, f.DevB1 = uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()
	if f.CA1, f.ContactA1, err = f.contact(ctx, c, f.A, contract.ContactRequest{DeviceID: f.DevA1, Name: "Ann", CustomData: map[string]any{"plan": "free"}}); err != nil {
		return nil, err
	}
	if f.CA2, _, err = f.contact(ctx, c, f.A, contract.ContactRequest{DeviceID: f.DevA2}); err != nil {
		return nil, err
	}
	if f.CA3, _, err = f.contact(ctx, c, f.A, contract.ContactRequest{DeviceID: f.DevA3, Name: "Victim", Email: VictimEmail}); err != nil {
		return nil, err
	}
	if f.CB1, _, err = f.contact(ctx, c, f.B, contract.ContactRequest{DeviceID: f.DevB1, Name: "Bea"}); err != nil {
		return nil, err
	}

	// Verified users.
	if f.V, err = f.authenticate(ctx, c, f.A, contract.AuthenticateRequest{UserID: VictimID, Email: VictimEmail, Name: "Victim"}); err != nil {
		return nil, err
	}
	if f.VExt, err = f.authenticate(ctx, c, f.A, contract.AuthenticateRequest{UserID: VictimID, Email: VictimEmail, ExternalID: BoundExt}); err != nil {
		return nil, err
	}
	if f.VB, err = f.authenticate(ctx, c, f.B, contract.AuthenticateRequest{UserID: VictimID, Email: VictimEmail}); err != nil {
		return nil, err
	}
	if f.R, err = f.authenticate(ctx, c, f.A, contract.AuthenticateRequest{UserID: RevokedID}); err != nil {
		return nil, err
	}
	if f.Impostor, err = f.authenticate(ctx, c, f.A, contract.AuthenticateRequest{UserID: VictimEmail}); err != nil {
		return nil, err
	}

	// Sessions and messages.
	steps := []struct {
		dst *string
		org Org
		tok string
		ext string
	}{
		{&f.SA1, f.A, f.CA1, ""},
		{&f.SA1b, f.A, f.CA1, BoundExt},
		{&f.SA2, f.A, f.CA2, ""},
		{&f.SA3, f.A, f.CA3, ""},
		{&f.SV, f.A, f.V, ""},
		{&f.SVws1, f.A, f.VExt, ""},
		{&f.SVws2, f.A, f.V, OtherExt},
		{&f.SR, f.A, f.R, ""},
		{&f.SB1, f.B, f.CB1, ""},
		{&f.SBV, f.B, f.VB, ""},
	}
	for _, s := range steps {
		out, err := got(widget(c, s.org, s.tok).CreateSession(ctx, contract.SessionRequest{ExternalID: s.ext}))(201, "create session")
		if err != nil {
			return nil, err
		}
		if out.Session.ID == "" {
			return nil, errors.New("create session: no session id in the answer")
		}
		*s.dst = out.Session.ID
	}
	for _, m := range []struct {
		org       Org
		tok, sess string
	}{{f.A, f.CA1, f.SA1}, {f.A, f.V, f.SV}, {f.B, f.CB1, f.SB1}} {
		if _, err := got(widget(c, m.org, m.tok).PostUserMessage(ctx, m.sess, "hello"))(201, "post message"); err != nil {
			return nil, err
		}
	}
	server := c.c.With(contract.Bearer(f.A.APIKey))
	if _, err := got(server.PostAgentMessage(ctx, f.SA1, contract.MessageRequest{Content: "hi, how can I help?", AuthorName: "Agent"}))(201, "post agent message"); err != nil {
		return nil, err
	}

	// Revoke R after its session exists.
	if _, err := got(server.Revoke(ctx, contract.Identity{UserID: RevokedID}))(200, "revoke"); err != nil {
		return nil, err
	}

	// What a hidden session must look like: a session that does not exist.
	missing, err := widget(c, f.A, f.CA2).GetSession(ctx, f.Missing, "")
	if _, err := got(missing, err)(404, "get a session that does not exist"); err != nil {
		return nil, err
	}
	f.NotFound = missing.Body

	// Cursors of others' listings.
	if f.CursorA1, err = nextCursor(got(widget(c, f.A, f.CA1).ListSessions(ctx, "", contract.Page{Limit: 1}))); err != nil {
		return nil, err
	}
	if f.CursorOrgA, err = nextCursor(got(server.ListOrgSessions(ctx, contract.SessionFilter{}, contract.Page{Limit: 1}))); err != nil {
		return nil, err
	}

	if f.Issuer, _ = f.claims[f.CA1]["iss"].(string); f.Issuer == "" {
		return nil, errors.New("contact token without iss")
	}
	return f, nil
}

func bytesEqual(a, b []byte) bool { return string(a) == string(b) }

func (f *Fixture) readJWKS(ctx context.Context, c *client) error {
	r, err := c.c.GetJWKS(ctx)
	set, err := got(r, err)(200, "GET /.well-known/jwks.json")
	if err != nil {
		return err
	}
	if len(set.Keys) == 0 {
		return errors.New("GET /.well-known/jwks.json: no keys")
	}
	x, err := base64.RawURLEncoding.DecodeString(set.Keys[0].X)
	if err != nil || len(x) != ed25519.PublicKeySize {
		return errors.New("GET /.well-known/jwks.json: first key has no Ed25519 x")
	}
	f.KID, f.PublicKey, f.JWKS = set.Keys[0].Kid, x, r.Body
	return nil
}

// got returns a typed call's value, or an error unless it answered want;
// what names the call.
func got[T any](c contract.Call[T], err error) func(want int, what string) (T, error) {
	return func(want int, what string) (T, error) {
		if err != nil {
			return c.Value, fmt.Errorf("%s: %w", what, err)
		}
		if c.Status != want {
			return c.Value, fmt.Errorf("%s: got %s, want %d", what, (&Response{Status: c.Status, Body: c.Body}).describe(), want)
		}
		return c.Value, nil
	}
}

// widget is the contract client as o's widget with the user token tok.
func widget(c *client, o Org, tok string) *contract.Client {
	return c.c.With(contract.WidgetToken(o.WidgetToken), contract.Bearer(tok))
}

func makeOrg(ctx context.Context, c *client, admin, name, origin string) (Org, error) {
	out, err := got(c.c.With(contract.Bearer(admin)).CreateOrg(ctx, contract.CreateOrgRequest{Name: name, AllowedOrigins: []string{origin}}))(201, "create org (is Target.AdminToken the worker's ADMIN_TOKEN?)")
	if err != nil {
		return Org{}, err
	}
	if out.Org.ID == "" || out.Org.WidgetToken == "" || out.APIKey.Secret == "" {
		return Org{}, errors.New("create org: answer lacks org.id, org.widget_token or api_key.secret")
	}
	return Org{ID: out.Org.ID, WidgetToken: out.Org.WidgetToken, APIKey: out.APIKey.Secret, APIKeyID: out.APIKey.ID, Origin: origin}, nil
}

func (f *Fixture) contact(ctx context.Context, c *client, o Org, req contract.ContactRequest) (tok, id string, err error) {
	out, err := got(c.c.With(contract.WidgetToken(o.WidgetToken)).CreateContact(ctx, req))(200, "create contact")
	if err != nil {
		return "", "", err
	}
	if out.Token == "" {
		return "", "", errors.New("create contact: no token in the answer")
	}
	return out.Token, out.Contact.ID, f.remember(out.Token)
}

func (f *Fixture) authenticate(ctx context.Context, c *client, o Org, req contract.AuthenticateRequest) (string, error) {
	out, err := got(c.c.With(contract.Bearer(o.APIKey)).Authenticate(ctx, req))(200, "authenticate")
	if err != nil {
		return "", err
	}
	if out.Token == "" {
		return "", errors.New("authenticate: no token in the answer")
	}
	return out.Token, f.remember(out.Token)
}

func (f *Fixture) remember(tok string) error {
	m, err := claimsOf(tok)
	if err != nil {
		return fmt.Errorf("a token the worker issued: %w", err)
	}
	f.claims[tok] = m
	return nil
}

// nextCursor is the next_cursor of a listing with limit=1.
func nextCursor(answer func(int, string) (contract.SessionList, error)) (string, error) {
	out, err := answer(200, "list sessions")
	if err != nil {
		return "", err
	}
	if out.NextCursor == nil || *out.NextCursor == "" {
		return "", errors.New("list sessions with limit=1: no next_cursor")
	}
	return *out.NextCursor, nil
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
