package store

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/chatwidget/identity/internal/conc"
	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/google/uuid"
)

// CreatedKey is a new api key with its secret, shown once.
type CreatedKey struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

// CreateOrg stores a new org with a fresh widget token and a first api key.
func (s *Store) CreateOrg(ctx context.Context, name string, origins []string) (*identity.Org, *CreatedKey, error) {
	org := &identity.Org{
		ID:             uuid.NewString(),
		Name:           name,
		WidgetToken:    randomToken("pk_", 24),
		AllowedOrigins: origins,
		CreatedAt:      s.Now(),
	}
	if org.AllowedOrigins == nil {
		org.AllowedOrigins = []string{}
	}
	// The org is reachable only once widget/ and org/ exist; write the
	// origin index first so a browser never meets an org whose preflight fails.
	var fns []func() error
	for _, o := range org.AllowedOrigins {
		fns = append(fns, func() error { return s.putOriginIndex(ctx, o, org.ID) })
	}
	if err := conc.All(fns...); err != nil {
		return nil, nil, err
	}
	key, err := s.CreateAPIKey(ctx, org.ID)
	if err != nil {
		return nil, nil, err
	}
	err = conc.All(
		func() error { return s.putJSON(ctx, "org/"+org.ID, org, kv.PutOptions{}) },
		func() error { return s.putJSON(ctx, "widget/"+org.WidgetToken, org, kv.PutOptions{}) },
	)
	if err != nil {
		return nil, nil, err
	}
	return org, key, nil
}

// Org returns the org with id, or identity.ErrNotFound.
func (s *Store) Org(ctx context.Context, id string) (*identity.Org, error) {
	if id == "" || len(id) > 64 {
		return nil, identity.ErrNotFound
	}
	var org identity.Org
	found, err := s.getDecoded(ctx, "org/"+id, func(b []byte) error { return json.Unmarshal(b, &org) })
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, identity.ErrNotFound
	}
	return &org, nil
}

// OrgByWidgetToken returns the org whose widget token is pk, or
// identity.ErrUnauthorized.
//
// Every widget request asks this first, so the orgs found are kept
// (orgCacheSize at most) for orgCacheTTL: the vendor may change an org's
// origins (UpdateOrg), which other instances then see as late as KV shows
// them anyway. An unknown token is not kept (a stranger's guesses fill
// nothing) and is asked of KV again each time. One KV get less on nearly
// every widget request: a visitor's message 9 -> 8 KV operations (make bench).
func (s *Store) OrgByWidgetToken(ctx context.Context, pk string) (*identity.Org, error) {
	if !validSecretShape(pk, "pk_", 24) {
		return nil, identity.ErrUnauthorized
	}
	if org, ok := s.orgs.get(pk, s.now()); ok {
		return org, nil
	}
	gen := s.orgs.gen() // before the read: a change made during it is not kept over
	var org identity.Org
	found, err := s.getDecoded(ctx, "widget/"+pk, func(b []byte) error { return json.Unmarshal(b, &org) })
	if err != nil {
		return nil, err
	}
	if !found || subtle.ConstantTimeCompare([]byte(org.WidgetToken), []byte(pk)) != 1 {
		return nil, identity.ErrUnauthorized
	}
	s.orgs.put(pk, &org, s.now(), gen) // keeps a copy of its own
	return &org, nil
}

// OriginKnown reports whether any org allows origin, given in the exact form
// browsers send (any other form is unknown): the CORS preflight, which carries no
// widget token, is answered only for such origins.
func (s *Store) OriginKnown(ctx context.Context, origin string) (bool, error) {
	// Only an origin in the exact form browsers send can be known; this also
	// keeps a partial origin such as "https:" from matching as a key prefix.
	if n, err := identity.NormalizeOrigin("origin", origin); err != nil || n != origin {
		return false, nil
	}
	res, err := s.kv.List(ctx, kv.ListOptions{Prefix: "origin/" + origin + "/", Limit: 1})
	if err != nil {
		return false, unavailable(err)
	}
	return len(res.Keys) > 0, nil
}

// CreateAPIKey adds an api key to the org; earlier keys keep working.
func (s *Store) CreateAPIKey(ctx context.Context, orgID string) (*CreatedKey, error) {
	secret := randomToken("sk_", 32)
	key := identity.APIKey{ID: uuid.NewString(), OrgID: orgID, Hash: HashSecret(secret), CreatedAt: s.Now()}
	meta, err := json.Marshal(orgKeyMeta{CreatedAt: key.CreatedAt})
	if err != nil {
		return nil, err
	}
	err = conc.All(
		func() error { return s.putJSON(ctx, "apikey/"+key.Hash, key, kv.PutOptions{}) },
		func() error {
			if err := s.kv.Put(ctx, "orgkey/"+orgID+"/"+key.ID, []byte(key.Hash), kv.PutOptions{Metadata: meta}); err != nil {
				return unavailable(err)
			}
			return nil
		},
	)
	if err != nil {
		return nil, err
	}
	return &CreatedKey{ID: key.ID, Secret: secret}, nil
}

// DeleteAPIKey removes the org's key with id; identity.ErrNotFound when the
// org has no such key.
func (s *Store) DeleteAPIKey(ctx context.Context, orgID, keyID string) error {
	if keyID == "" || len(keyID) > 64 || len(orgID) > 64 {
		return identity.ErrNotFound
	}
	hash, found, err := s.kv.Get(ctx, "orgkey/"+orgID+"/"+keyID)
	if err != nil {
		return unavailable(err)
	}
	if !found {
		return identity.ErrNotFound
	}
	if err := s.kv.Delete(ctx, "apikey/"+string(hash)); err != nil {
		return unavailable(err)
	}
	if err := s.kv.Delete(ctx, "orgkey/"+orgID+"/"+keyID); err != nil {
		return unavailable(err)
	}
	return nil
}

// APIKeyBySecret returns the api key of secret (its id and org), or
// identity.ErrUnauthorized.
func (s *Store) APIKeyBySecret(ctx context.Context, secret string) (*identity.APIKey, error) {
	if !validSecretShape(secret, "sk_", 32) {
		return nil, identity.ErrUnauthorized
	}
	hash := HashSecret(secret)
	var key identity.APIKey
	found, err := s.getDecoded(ctx, "apikey/"+hash, func(b []byte) error { return json.Unmarshal(b, &key) })
	if err != nil {
		return nil, err
	}
	if !found || subtle.ConstantTimeCompare([]byte(key.Hash), []byte(hash)) != 1 {
		return nil, identity.ErrUnauthorized
	}
	return &key, nil
}

// OrgIDByAPIKey returns the org id of the api key secret, or
// identity.ErrUnauthorized.
func (s *Store) OrgIDByAPIKey(ctx context.Context, secret string) (string, error) {
	key, err := s.APIKeyBySecret(ctx, secret)
	if err != nil {
		return "", err
	}
	return key.OrgID, nil
}

// APIKeyExists reports whether the org's api key keyID has not been deleted:
// a verified token dies with the key whose call issued it.
func (s *Store) APIKeyExists(ctx context.Context, orgID, keyID string) (bool, error) {
	if keyID == "" || len(keyID) > 64 {
		return false, nil
	}
	_, found, err := s.kv.Get(ctx, "orgkey/"+orgID+"/"+keyID)
	if err != nil {
		return false, unavailable(err)
	}
	return found, nil
}

// validSecretShape reports whether s is prefix followed by at least min
// URL-safe characters (and not absurdly long).
func validSecretShape(s, prefix string, min int) bool {
	if len(s) < len(prefix)+min || len(s) > 200 || s[:len(prefix)] != prefix {
		return false
	}
	for i := len(prefix); i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// DemoOrg reads the development demo org of host into v.
func (s *Store) DemoOrg(ctx context.Context, host string, v any) (bool, error) {
	return s.getJSON(ctx, "demo/org/"+hashKey(host), v)
}

// SaveDemoOrg saves the development demo org of host.
func (s *Store) SaveDemoOrg(ctx context.Context, host string, v any) error {
	return s.putJSON(ctx, "demo/org/"+hashKey(host), v, kv.PutOptions{})
}

// orgKeyMeta is the metadata of an org's index of its api keys
// (orgkey/{org}/{key id}), so that listing them needs no get per key. Keys
// made before it was kept have none.
type orgKeyMeta struct {
	CreatedAt time.Time `json:"c"`
}

// APIKeyInfo is what the vendor sees of an api key: never its secret or hash.
type APIKeyInfo struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
}

// APIKeys lists the org's api keys that have not been deleted, oldest first.
func (s *Store) APIKeys(ctx context.Context, orgID string) ([]APIKeyInfo, error) {
	prefix := "orgkey/" + orgID + "/"
	out := []APIKeyInfo{}
	cursor := ""
	for {
		res, err := s.kv.List(ctx, kv.ListOptions{Prefix: prefix, Cursor: cursor})
		if err != nil {
			return nil, unavailable(err)
		}
		for _, k := range res.Keys {
			info := APIKeyInfo{ID: strings.TrimPrefix(k.Name, prefix)}
			var m orgKeyMeta
			if json.Unmarshal(k.Metadata, &m) == nil && !m.CreatedAt.IsZero() {
				info.CreatedAt = m.CreatedAt
			} else if info.CreatedAt, err = s.apiKeyCreatedAt(ctx, k.Name); err != nil {
				return nil, err
			}
			out = append(out, info)
		}
		if res.Complete {
			break
		}
		cursor = res.Cursor
	}
	slices.SortStableFunc(out, func(a, b APIKeyInfo) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// apiKeyCreatedAt reads the creation time of a key indexed without it.
func (s *Store) apiKeyCreatedAt(ctx context.Context, indexKey string) (time.Time, error) {
	hash, found, err := s.kv.Get(ctx, indexKey)
	if err != nil || !found {
		return time.Time{}, unavailable(err)
	}
	var key identity.APIKey
	if _, err := s.getJSON(ctx, "apikey/"+string(hash), &key); err != nil {
		return time.Time{}, err
	}
	return key.CreatedAt, nil
}

// UpdateOrg changes the org's name and allowed origins; a nil name or
// origins leaves that one as it is. The origin index is written first for
// the origins it adds and cleared last for those it drops, so that a
// browser's preflight from an origin allowed before and after never fails.
// This instance sees the change at once; others within KV's propagation
// (about a minute) and then orgCacheTTL: about two minutes.
func (s *Store) UpdateOrg(ctx context.Context, id string, name *string, origins []string) (*identity.Org, error) {
	org, err := s.Org(ctx, id)
	if err != nil {
		return nil, err
	}
	if name != nil {
		org.Name = *name
	}
	var dropped []string
	if origins != nil {
		var added []func() error
		for _, o := range origins {
			if !slices.Contains(org.AllowedOrigins, o) {
				added = append(added, func() error { return s.putOriginIndex(ctx, o, org.ID) })
			}
		}
		for _, o := range org.AllowedOrigins {
			if !slices.Contains(origins, o) {
				dropped = append(dropped, o)
			}
		}
		if err := conc.All(added...); err != nil {
			return nil, err
		}
		org.AllowedOrigins = origins
	}
	err = conc.All(
		func() error { return s.putJSON(ctx, "org/"+org.ID, org, kv.PutOptions{}) },
		func() error { return s.putJSON(ctx, "widget/"+org.WidgetToken, org, kv.PutOptions{}) },
	)
	if err != nil {
		return nil, err
	}
	s.orgs.drop(org.WidgetToken)
	var clear []func() error
	for _, o := range dropped {
		clear = append(clear, func() error { return unavailable(s.kv.Delete(ctx, "origin/"+o+"/"+org.ID)) })
	}
	if err := conc.All(clear...); err != nil {
		return nil, err
	}
	return org, nil
}

// putOriginIndex notes that org allows origin, for the preflight of a
// browser (OriginKnown), which names no org.
func (s *Store) putOriginIndex(ctx context.Context, origin, orgID string) error {
	return unavailable(s.kv.Put(ctx, "origin/"+origin+"/"+orgID, nil, kv.PutOptions{}))
}
