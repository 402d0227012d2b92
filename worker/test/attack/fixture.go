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
	"net/url"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/chatwidget/identity/worker/test/contract"
)

// fixtureWorld is the people and chats the runner makes before the cases
// run (contract.BuildWorld); each name is a template of the cases' requests
// (Fixture.x).
//
// Org A: devices DevA1, DevA2 (anonymous contacts CA1, CA2), DevA3 (CA3, a
// contact that claimed the victim's email); the verified victim (user_id
// VictimID, email VictimEmail) with a token V without external id and VExt
// bound to "ws-1"; a verified user R whose tokens setup then revokes;
// Impostor, a verified user whose user_id is the victim's email. Org B:
// device DevB1 (CB1) and VB, a verified user with the victim's user_id.
// The look-alike victims VN and VE and the identities that mimic them
// and V are lookAlikeWorld's.
// Sessions: SA1 and SA1b (ext ws-1) of CA1, SA2 of CA2, SA3 of CA3; SV (no
// ext), SVws1 and SVws2 of the victim; SR of R; SB1 and SBV in org B.
var fixtureWorld = []contract.Step{
	{Name: "CA1", Org: "A", Contact: map[string]any{"device_id": "DevA1", "name": "Ann", "custom_data": map[string]any{"plan": "free"}}},
	{Name: "CA2", Org: "A", Contact: map[string]any{"device_id": "DevA2"}},
	{Name: "CA3", Org: "A", Contact: map[string]any{"device_id": "DevA3", "name": "Victim", "email": VictimEmail}},
	{Name: "CB1", Org: "B", Contact: map[string]any{"device_id": "DevB1", "name": "Bea"}},
	{Name: "V", Org: "A", Auth: &contract.AuthenticateRequest{UserID: VictimID, Email: VictimEmail, Name: "Victim"}},
	{Name: "VExt", Org: "A", Auth: &contract.AuthenticateRequest{UserID: VictimID, Email: VictimEmail, ExternalID: BoundExt}},
	{Name: "VB", Org: "B", Auth: &contract.AuthenticateRequest{UserID: VictimID, Email: VictimEmail}},
	{Name: "R", Org: "A", Auth: &contract.AuthenticateRequest{UserID: RevokedID}},
	{Name: "Impostor", Org: "A", Auth: &contract.AuthenticateRequest{UserID: VictimEmail}},
	{Name: "SA1", By: "CA1", Session: contract.SessionRequest{}},
	{Name: "SA1b", By: "CA1", Session: contract.SessionRequest{ExternalID: BoundExt}},
	{Name: "SA2", By: "CA2", Session: contract.SessionRequest{}},
	{Name: "SA3", By: "CA3", Session: contract.SessionRequest{}},
	{Name: "SV", By: "V", Session: contract.SessionRequest{}},
	{Name: "SVws1", By: "VExt", Session: contract.SessionRequest{}},
	{Name: "SVws2", By: "V", Session: contract.SessionRequest{ExternalID: OtherExt}},
	{Name: "SR", By: "R", Session: contract.SessionRequest{}},
	{Name: "SB1", By: "CB1", Session: contract.SessionRequest{}},
	{Name: "SBV", By: "VB", Session: contract.SessionRequest{}},
	{Name: "SA1", By: "CA1", Say: "hello"},
	{Name: "SV", By: "V", Say: "hello"},
	{Name: "SB1", By: "CB1", Say: "hello"},
}

// Fixture is what the runner builds through the API before the cases run:
// fixtureWorld, and around it an api key of A that the vendor deleted
// ("deleted") after it issued KG, a verified token of the victim's
// identity. Cases build their requests from it.
type Fixture struct {
	world *contract.World
	// vals are the values a template names, by name: those of
	// fixtureWorld, and those setup adds (see x).
	vals map[string]string
	// NotFound is the answer body for the session Missing, which does not
	// exist, to compare hidden sessions with.
	NotFound []byte

	// KID and PublicKey are the first key of the worker's JWKS; JWKS is the
	// whole document.
	KID       string
	PublicKey []byte
	JWKS      []byte
	Attacker  ed25519.PrivateKey // a key the worker has never seen

	signKID string                    // the worker's signing kid (with key)
	signKey ed25519.PrivateKey        // nil without Target.SigningKeys
	claims  map[string]map[string]any // of every token the worker issued, by token
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
	keys := []string{f.v("admin"), f.v("A.key"), f.v("B.key"), f.v("deleted")}
	return slices.AppendSeq(keys, maps.Keys(f.claims)) // and every token
}

// claimsOf returns the decoded claims of the fixture's token named name, a
// copy.
func (f *Fixture) claimsOf(name string) map[string]any { return maps.Clone(f.claims[f.v(name)]) }

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
	f := &Fixture{claims: map[string]map[string]any{}, vals: map[string]string{
		"admin":   t.AdminToken,
		"probe":   "https://probe-" + run + ".attack.invalid", // no org allows it; attacks that would create an org name it
		"evil":    "https://evil-" + run + ".example",         // no org allows it either
		"Missing": uuid.Must(uuid.NewV7()).String(),           // a session id that does not exist
	}}
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
	w, err := contract.BuildWorld(ctx, c, t.AdminToken, "attack", slices.Concat(fixtureWorld, lookAlikeWorld()))
	if err != nil {
		return nil, err
	}
	f.world = w
	for name, o := range w.Orgs {
		for k, v := range map[string]string{"ID": o.Org.ID, "pk": o.Org.WidgetToken, "key": o.APIKey.Secret,
			"keyID": o.APIKey.ID, "origin": o.Origin, "host": strings.TrimPrefix(o.Origin, "https://")} {
			f.vals[name+"."+k] = v
		}
	}
	for name, a := range w.Actors {
		f.vals[name] = a.Token
	}
	for name, s := range w.Sessions {
		f.vals[name] = s.ID
	}
	maps.Copy(f.vals, w.Devices)
	f.vals["ContactA1"] = w.Actors["CA1"].ID
	f.vals["ContactA2"] = w.Actors["CA2"].ID
	if err := f.around(ctx, c); err != nil {
		return nil, err
	}
	for _, name := range append(slices.Collect(maps.Keys(w.Actors)), "KG") {
		if f.claims[f.v(name)], err = claimsOf(f.v(name)); err != nil {
			return nil, fmt.Errorf("a token the worker issued: %w", err)
		}
	}
	if iss, _ := f.claimsOf("CA1")["iss"].(string); iss == "" {
		return nil, errors.New("contact token without iss")
	}
	return f, nil
}

// readJWKS reads the worker's first public key.
func (f *Fixture) readJWKS(ctx context.Context, c *contract.Client) error {
	jwks, err := c.GetJWKS(ctx)
	if err := contract.Fits(jwks.Response, err, 200); err != nil {
		return err
	}
	if len(jwks.Value.Keys) == 0 {
		return errors.New("GET /.well-known/jwks.json: no keys")
	}
	x, err := base64.RawURLEncoding.DecodeString(jwks.Value.Keys[0].X)
	if err != nil || len(x) != ed25519.PublicKeySize {
		return errors.New("GET /.well-known/jwks.json: first key has no Ed25519 x")
	}
	f.KID, f.PublicKey, f.JWKS = jwks.Value.Keys[0].Kid, x, jwks.Body
	if f.signKey != nil && string(f.signKey.Public().(ed25519.PublicKey)) != string(f.PublicKey) {
		return errors.New("Target.SigningKeys does not hold the key the worker publishes first in its JWKS")
	}
	return nil
}

// around makes what the world's steps cannot: a second api key of A that
// issues KG and is deleted, an agent's message, R's revocation, the 404 of
// the session Missing, and the cursors of others' listings: CursorA1 of
// A1's with limit 1, CursorOrgA of org A's server listing with limit 1.
func (f *Fixture) around(ctx context.Context, c *contract.Client) error {
	vendor, server := c.With(contract.Bearer(f.v("admin"))), f.world.Server("A")
	key, err := vendor.CreateAPIKey(ctx, f.v("A.ID"))
	if err := contract.Fits(key.Response, err, 201); err != nil {
		return err
	}
	f.vals["deleted"] = key.Value.APIKey.Secret
	kg, err := c.With(contract.Bearer(f.v("deleted"))).Authenticate(ctx, contract.AuthenticateRequest{UserID: VictimID})
	if err := contract.Fits(kg.Response, err, 200); err != nil {
		return err
	}
	f.vals["KG"] = kg.Value.Token
	del, err := vendor.DeleteAPIKey(ctx, f.v("A.ID"), key.Value.APIKey.ID)
	if err := contract.Fits(del.Response, err, 204); err != nil {
		return err
	}
	agent, agentErr := server.PostAgentMessage(ctx, f.v("SA1"),
		contract.MessageRequest{Content: "hi, how can I help?", AuthorName: "Agent"})
	revoked, revokeErr := server.Revoke(ctx, contract.Identity{UserID: RevokedID})
	missing, missingErr := f.world.Widget("A", f.v("CA2")).GetSession(ctx, f.v("Missing"), "")
	if err := errors.Join(contract.Fits(agent.Response, agentErr, 201),
		contract.Fits(revoked.Response, revokeErr, 200), contract.Fits(missing.Response, missingErr, 404)); err != nil {
		return err
	}
	f.NotFound = missing.Body
	a1, err := f.world.Widget("A", f.v("CA1")).ListSessions(ctx, "", contract.Page{Limit: 1})
	if f.vals["CursorA1"], err = nextCursor(a1, err); err != nil {
		return err
	}
	orgA, err := server.ListOrgSessions(ctx, contract.SessionFilter{}, contract.Page{Limit: 1})
	f.vals["CursorOrgA"], err = nextCursor(orgA, err)
	return err
}

// nextCursor is the next_cursor of a listing with limit=1, query-escaped.
// Only its status is checked: whether a listing fits the document is for
// the cases to report (a worker TestCatches breaks lists off it).
func nextCursor(c contract.Call[contract.SessionList], err error) (string, error) {
	if err != nil {
		return "", err
	}
	if c.Status != 200 {
		return "", fmt.Errorf("%s: status %d, want 200", c.What(), c.Status)
	}
	if c.Value.NextCursor == nil || *c.Value.NextCursor == "" {
		return "", errors.New("list sessions with limit=1: no next_cursor")
	}
	return url.QueryEscape(*c.Value.NextCursor), nil
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
