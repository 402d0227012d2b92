package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/chatwidget/identity/internal/httpx"

	"github.com/chatwidget/identity/internal/conc"
	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/store"
	"github.com/chatwidget/identity/internal/token"
)

type handler = func(httpx.ResponseWriter, *httpx.Request) error

// bearer returns the credential of an "Authorization: Bearer" header.
func bearer(r *httpx.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, cred, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	cred = strings.TrimSpace(cred)
	return cred, cred != ""
}

// admin lets the vendor's admin token through.
func (a *API) admin(h handler) handler {
	want := sha256.Sum256([]byte(a.cfg.AdminToken))
	return func(w httpx.ResponseWriter, r *httpx.Request) error {
		cred, ok := bearer(r)
		got := sha256.Sum256([]byte(cred))
		if !ok || a.cfg.AdminToken == "" || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			return identity.Errorf(identity.CodeUnauthorized, "An admin token is required: Authorization: Bearer <admin token>.")
		}
		return h(w, r)
	}
}

// serverCall is a call from an org's server, authenticated by an api key.
type serverCall struct {
	orgID string
	keyID string // the api key's id: verified tokens it issues die with it
}

// server lets an org's api key through.
func (a *API) server(h func(httpx.ResponseWriter, *httpx.Request, serverCall) error) handler {
	return func(w httpx.ResponseWriter, r *httpx.Request) error {
		cred, ok := bearer(r)
		if !ok {
			return identity.Errorf(identity.CodeUnauthorized, "An api key is required: Authorization: Bearer <api key>.")
		}
		key, err := a.store.APIKeyBySecret(r.Context(), cred)
		if errors.Is(err, identity.ErrUnauthorized) {
			return identity.Errorf(identity.CodeUnauthorized, "The api key is not valid.")
		}
		if err != nil {
			return err
		}
		return h(w, r, serverCall{orgID: key.OrgID, keyID: key.ID})
	}
}

// widgetCall is a call from the widget: its org, and once it has a user
// token, the principal it acts as.
type widgetCall struct {
	org       *identity.Org
	principal identity.Principal
	signed    <-chan token.Signed // the user token's signature check, started before the org was read
	// gone is the verified principal's tombstone (nil: never erased): its
	// sessions from before it are erased.
	gone *store.Tombstone
	// unhold ends a write's shared hold of its principal's person before
	// the request ends (a contact erasing itself holds it exclusively).
	unhold func()
}

// widget resolves the org of X-Widget-Token and checks the browser's origin.
func (a *API) widget(h func(httpx.ResponseWriter, *httpx.Request, *widgetCall) error) handler {
	return a.widgetCall(h, false)
}

// widgetUser is widget, then user. The user token's signature is checked
// (in the Worker, a WebCrypto call) while the org is read; the verdicts
// still come in the same order: the widget token's, the origin's, then the
// user token's.
func (a *API) widgetUser(h func(httpx.ResponseWriter, *httpx.Request, *widgetCall) error) handler {
	return a.widgetCall(a.user(h), true)
}

func (a *API) widgetCall(h func(httpx.ResponseWriter, *httpx.Request, *widgetCall) error, early bool) handler {
	return func(w httpx.ResponseWriter, r *httpx.Request) error {
		// Until the org is known, let any page read the refusal: it tells
		// nothing about any org.
		allowCORS(w, r)
		pk := r.Header.Get("X-Widget-Token")
		if pk == "" {
			return identity.Errorf(identity.CodeUnauthorized, "The X-Widget-Token header is required.")
		}
		c := &widgetCall{}
		if raw, ok := bearer(r); ok && early {
			c.signed = a.verifySignature(raw)
		}
		org, err := a.store.OrgByWidgetToken(r.Context(), pk)
		if errors.Is(err, identity.ErrUnauthorized) {
			return identity.Errorf(identity.CodeUnauthorized, "The widget token is not valid.")
		}
		if err != nil {
			return err
		}
		if origin := r.Header.Get("Origin"); origin != "" && !org.AllowsOrigin(origin) {
			denyCORS(w)
			return identity.ErrOriginNotAllowed
		}
		c.org = org
		return h(w, r, c)
	}
}

// verifySignature checks a user token's signature on a goroutine of its own
// and hands over the outcome when it is ready, also when nobody waits for it
// any more (the org was refused). A panic there is an error of that token's
// check, not the end of the Worker.
func (a *API) verifySignature(raw string) <-chan token.Signed {
	ch := make(chan token.Signed, 1)
	conc.Go(func() {
		defer func() {
			if p := recover(); p != nil {
				ch <- token.Signed{}
				a.log.Error("panic while checking a token's signature", "panic", fmt.Sprint(p))
			}
		}()
		ch <- a.tokens.VerifySignature(raw)
	})
	return ch
}

// user requires a user token of the widget's org and sets the principal.
func (a *API) user(h func(httpx.ResponseWriter, *httpx.Request, *widgetCall) error) func(httpx.ResponseWriter, *httpx.Request, *widgetCall) error {
	return func(w httpx.ResponseWriter, r *httpx.Request, c *widgetCall) error {
		raw, ok := bearer(r)
		if !ok {
			return identity.Errorf(identity.CodeUnauthorized, "A user token is required: Authorization: Bearer <user token>.")
		}
		var signed token.Signed
		if c.signed != nil {
			signed = <-c.signed
		} else {
			signed = a.tokens.VerifySignature(raw)
		}
		claims, err := signed.For(c.org.ID)
		switch {
		case errors.Is(err, token.ErrExpired):
			return identity.ErrTokenExpired
		case errors.Is(err, token.ErrWrongAudience):
			return identity.Errorf(identity.CodeInvalidToken, "The user token was issued for another org.")
		case err != nil:
			return identity.ErrInvalidToken
		}
		p := identity.Principal{OrgID: c.org.ID, Subject: claims.Subject}
		switch claims.Kind {
		case token.KindContact:
			// token.Verify has checked that sub is the cid.
			p.Kind = identity.KindContact
		case token.KindVerified:
			// token.Verify has checked that sub is the identity key of uid
			// and email, and that akid is there.
			p.Kind, p.UserID, p.Email, p.ExternalID, p.APIKeyID = identity.KindVerified, claims.UserID, claims.Email, claims.ExternalID, claims.APIKeyID
		default:
			return identity.ErrInvalidToken
		}
		p.IssuedAt = claims.IssuedAtTime()
		c.principal = p
		var tomb *store.Tombstone
		revoked := func() (err error) { tomb, err = a.standing(r.Context(), p, p.IssuedAt); return err }
		if r.Method != httpx.MethodGet && r.Method != httpx.MethodHead {
			// A write waits for the revocation check before it does
			// anything, and holds its person while it runs, so that within
			// the instance it does not straddle their erasure (holdPerson):
			// a contact's as a verified user's.
			unlock, err := a.holdPerson(r.Context(), p.OrgID, p.Key(), false)
			if err != nil {
				return err
			}
			var once sync.Once
			c.unhold = func() { once.Do(unlock) }
			defer c.unhold()
			if err := revoked(); err != nil {
				return err
			}
			c.gone = tomb
			return h(w, r, c)
		}
		// A read changes nothing stored, so it runs while the revocation is
		// read, into a buffer that is shown only if the token still stands:
		// one KV round trip less on the widget's reads. An identity erased
		// and authenticated again (rare) has its read run again once its
		// tombstone is known, which hides what it had before.
		buf := httpx.NewRecorder()
		var hErr error
		if err := conc.All(revoked, func() error { hErr = h(buf, r, c); return nil }); err != nil {
			return err
		}
		if tomb != nil {
			c.gone = tomb
			buf = httpx.NewRecorder()
			hErr = h(buf, r, c)
		}
		if hErr != nil {
			return hErr
		}
		buf.WriteTo(w)
		return nil
	}
}

// standing says whether a token of p issued at iat still stands: while its
// person is not erased since it was issued (a contact's id is never given
// again, so a contact's tombstone refuses all its tokens); a verified token
// also while its identity is not revoked since then and the api key whose
// call issued it is not deleted. It returns ErrTokenRevoked when the token
// has fallen, and the principal's tombstone (nil: never erased): that of a
// verified identity that authenticated again after its erasure hides what
// it had before. Every credential that names a person passes through here.
func (a *API) standing(ctx context.Context, p identity.Principal, iat time.Time) (*store.Tombstone, error) {
	var tomb *store.Tombstone
	var revokedAt time.Time
	var keyLive bool
	fns := []func() error{
		func() (err error) { tomb, err = a.store.TombstoneOf(ctx, p.OrgID, p.Key()); return err },
	}
	if p.Verified() {
		fns = append(fns,
			func() (err error) {
				revokedAt, err = a.store.RevokedBefore(ctx, p.OrgID, identity.KeyOf(p.UserID, p.Email))
				return err
			},
			func() (err error) { keyLive, err = a.store.APIKeyExists(ctx, p.OrgID, p.APIKeyID); return err },
		)
	}
	if err := conc.All(fns...); err != nil {
		return nil, err
	}
	if tomb != nil && (!p.Verified() || !iat.After(tomb.At)) {
		return tomb, identity.ErrTokenRevoked
	}
	if p.Verified() && (!keyLive || (!revokedAt.IsZero() && !iat.After(revokedAt))) {
		return tomb, identity.ErrTokenRevoked
	}
	return tomb, nil
}
