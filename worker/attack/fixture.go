package attack

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/google/uuid"
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
	r := c.call(ctx, "POST", "/v1/admin/orgs/"+f.A.ID+"/api-keys", nil, "Authorization", "Bearer "+t.AdminToken)
	if err := expect(r, 201, "create api key"); err != nil {
		return nil, err
	}
	var key struct {
		APIKey struct{ ID, Secret string } `json:"api_key"`
	}
	if err := r.decode(&key); err != nil || key.APIKey.Secret == "" {
		return nil, errors.New("create api key: no api_key in the answer")
	}
	f.DeletedKey = key.APIKey.Secret
	deletedKey := f.A
	deletedKey.APIKey = key.APIKey.Secret
	if f.KG, err = f.authenticate(ctx, c, deletedKey, map[string]any{"user_id": VictimID}); err != nil {
		return nil, err
	}
	r = c.call(ctx, "DELETE", "/v1/admin/orgs/"+f.A.ID+"/api-keys/"+url.PathEscape(key.APIKey.ID), nil, "Authorization", "Bearer "+t.AdminToken)
	if err := expect(r, 204, "delete api key"); err != nil {
		return nil, err
	}

	// Contacts.
	f.DevA1, f.DevA2, f.DevA3, f.DevB1 = uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()
	if f.CA1, f.ContactA1, err = f.contact(ctx, c, f.A, map[string]any{"device_id": f.DevA1, "name": "Ann", "custom_data": map[string]any{"plan": "free"}}); err != nil {
		return nil, err
	}
	if f.CA2, _, err = f.contact(ctx, c, f.A, map[string]any{"device_id": f.DevA2}); err != nil {
		return nil, err
	}
	if f.CA3, _, err = f.contact(ctx, c, f.A, map[string]any{"device_id": f.DevA3, "name": "Victim", "email": VictimEmail}); err != nil {
		return nil, err
	}
	if f.CB1, _, err = f.contact(ctx, c, f.B, map[string]any{"device_id": f.DevB1, "name": "Bea"}); err != nil {
		return nil, err
	}

	// Verified users.
	if f.V, err = f.authenticate(ctx, c, f.A, map[string]any{"user_id": VictimID, "email": VictimEmail, "name": "Victim"}); err != nil {
		return nil, err
	}
	if f.VExt, err = f.authenticate(ctx, c, f.A, map[string]any{"user_id": VictimID, "email": VictimEmail, "external_id": BoundExt}); err != nil {
		return nil, err
	}
	if f.VB, err = f.authenticate(ctx, c, f.B, map[string]any{"user_id": VictimID, "email": VictimEmail}); err != nil {
		return nil, err
	}
	if f.R, err = f.authenticate(ctx, c, f.A, map[string]any{"user_id": RevokedID}); err != nil {
		return nil, err
	}
	if f.Impostor, err = f.authenticate(ctx, c, f.A, map[string]any{"user_id": VictimEmail}); err != nil {
		return nil, err
	}

	// Sessions and messages.
	steps := []struct {
		dst  *string
		org  Org
		tok  string
		body map[string]any
	}{
		{&f.SA1, f.A, f.CA1, map[string]any{}},
		{&f.SA1b, f.A, f.CA1, map[string]any{"external_id": BoundExt}},
		{&f.SA2, f.A, f.CA2, map[string]any{}},
		{&f.SA3, f.A, f.CA3, map[string]any{}},
		{&f.SV, f.A, f.V, map[string]any{}},
		{&f.SVws1, f.A, f.VExt, map[string]any{}},
		{&f.SVws2, f.A, f.V, map[string]any{"external_id": OtherExt}},
		{&f.SR, f.A, f.R, map[string]any{}},
		{&f.SB1, f.B, f.CB1, map[string]any{}},
		{&f.SBV, f.B, f.VB, map[string]any{}},
	}
	for _, s := range steps {
		r := c.call(ctx, "POST", "/v1/widget/sessions", s.body, "X-Widget-Token", s.org.WidgetToken, "Authorization", "Bearer "+s.tok)
		if err := expect(r, 201, "create session"); err != nil {
			return nil, err
		}
		var out struct{ Session struct{ ID string } }
		if err := r.decode(&out); err != nil || out.Session.ID == "" {
			return nil, errors.New("create session: no session id in the answer")
		}
		*s.dst = out.Session.ID
	}
	for _, m := range []struct {
		org       Org
		tok, sess string
	}{{f.A, f.CA1, f.SA1}, {f.A, f.V, f.SV}, {f.B, f.CB1, f.SB1}} {
		r := c.call(ctx, "POST", "/v1/widget/sessions/"+m.sess+"/messages", map[string]any{"content": "hello"},
			"X-Widget-Token", m.org.WidgetToken, "Authorization", "Bearer "+m.tok)
		if err := expect(r, 201, "post message"); err != nil {
			return nil, err
		}
	}
	r = c.call(ctx, "POST", "/v1/sessions/"+f.SA1+"/messages", map[string]any{"content": "hi, how can I help?", "author_name": "Agent"},
		"Authorization", "Bearer "+f.A.APIKey)
	if err := expect(r, 201, "post agent message"); err != nil {
		return nil, err
	}

	// Revoke R after its session exists.
	r = c.call(ctx, "POST", "/v1/users/revoke", map[string]any{"user_id": RevokedID}, "Authorization", "Bearer "+f.A.APIKey)
	if err := expect(r, 200, "revoke"); err != nil {
		return nil, err
	}

	// What a hidden session must look like: a session that does not exist.
	r = c.call(ctx, "GET", "/v1/widget/sessions/"+f.Missing, nil, "X-Widget-Token", f.A.WidgetToken, "Authorization", "Bearer "+f.CA2)
	if err := expect(r, 404, "get a session that does not exist"); err != nil {
		return nil, err
	}
	f.NotFound = r.Body

	// Cursors of others' listings.
	if f.CursorA1, err = nextCursor(ctx, c, "/v1/widget/sessions?limit=1", "X-Widget-Token", f.A.WidgetToken, "Authorization", "Bearer "+f.CA1); err != nil {
		return nil, err
	}
	if f.CursorOrgA, err = nextCursor(ctx, c, "/v1/sessions?limit=1", "Authorization", "Bearer "+f.A.APIKey); err != nil {
		return nil, err
	}

	if f.Issuer, _ = f.claims[f.CA1]["iss"].(string); f.Issuer == "" {
		return nil, errors.New("contact token without iss")
	}
	return f, nil
}

func bytesEqual(a, b []byte) bool { return string(a) == string(b) }

func (f *Fixture) readJWKS(ctx context.Context, c *client) error {
	r := c.call(ctx, "GET", "/.well-known/jwks.json", nil)
	if err := expect(r, 200, "GET /.well-known/jwks.json"); err != nil {
		return err
	}
	var set struct {
		Keys []struct{ Kid, X, Crv string }
	}
	if err := r.decode(&set); err != nil || len(set.Keys) == 0 {
		return errors.New("GET /.well-known/jwks.json: no keys")
	}
	x, err := base64.RawURLEncoding.DecodeString(set.Keys[0].X)
	if err != nil || len(x) != ed25519.PublicKeySize {
		return errors.New("GET /.well-known/jwks.json: first key has no Ed25519 x")
	}
	f.KID, f.PublicKey, f.JWKS = set.Keys[0].Kid, x, r.Body
	return nil
}

func makeOrg(ctx context.Context, c *client, admin, name, origin string) (Org, error) {
	r := c.call(ctx, "POST", "/v1/admin/orgs", map[string]any{"name": name, "allowed_origins": []string{origin}}, "Authorization", "Bearer "+admin)
	if err := expect(r, 201, "create org (is Target.AdminToken the worker's ADMIN_TOKEN?)"); err != nil {
		return Org{}, err
	}
	var out struct {
		Org struct {
			ID          string `json:"id"`
			WidgetToken string `json:"widget_token"`
		} `json:"org"`
		APIKey struct{ ID, Secret string } `json:"api_key"`
	}
	if err := r.decode(&out); err != nil || out.Org.ID == "" || out.Org.WidgetToken == "" || out.APIKey.Secret == "" {
		return Org{}, errors.New("create org: answer lacks org.id, org.widget_token or api_key.secret")
	}
	return Org{ID: out.Org.ID, WidgetToken: out.Org.WidgetToken, APIKey: out.APIKey.Secret, APIKeyID: out.APIKey.ID, Origin: origin}, nil
}

func (f *Fixture) contact(ctx context.Context, c *client, o Org, body map[string]any) (tok, id string, err error) {
	r := c.call(ctx, "POST", "/v1/widget/contacts", body, "X-Widget-Token", o.WidgetToken)
	if err := expect(r, 200, "create contact"); err != nil {
		return "", "", err
	}
	var out struct {
		Token   string
		Contact struct{ ID string }
	}
	if err := r.decode(&out); err != nil || out.Token == "" {
		return "", "", errors.New("create contact: no token in the answer")
	}
	return out.Token, out.Contact.ID, f.remember(out.Token)
}

func (f *Fixture) authenticate(ctx context.Context, c *client, o Org, body map[string]any) (string, error) {
	r := c.call(ctx, "POST", "/v1/users/authenticate", body, "Authorization", "Bearer "+o.APIKey)
	if err := expect(r, 200, "authenticate"); err != nil {
		return "", err
	}
	var out struct{ Token string }
	if err := r.decode(&out); err != nil || out.Token == "" {
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

func nextCursor(ctx context.Context, c *client, path string, header ...string) (string, error) {
	r := c.call(ctx, "GET", path, nil, header...)
	if err := expect(r, 200, "list sessions"); err != nil {
		return "", err
	}
	var out struct {
		NextCursor *string `json:"next_cursor"`
	}
	if err := r.decode(&out); err != nil || out.NextCursor == nil || *out.NextCursor == "" {
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
