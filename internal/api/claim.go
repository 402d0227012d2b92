package api

import (
	"errors"
	"strings"
	"time"

	"github.com/chatwidget/identity/internal/conc"
	"github.com/chatwidget/identity/internal/httpx"
	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/token"
)

// claim is POST /v1/widget/claim: the verified user of Authorization takes
// the sessions of the contact whose token is in X-Contact-Token. Both sides
// are proven before anything moves: the verified token (signature, org,
// revocation, through widgetUser) and the contact token (signature, org,
// kind, expiry).
func (a *API) claim(w httpx.ResponseWriter, r *httpx.Request, c *widgetCall) error {
	v := c.principal
	if !v.Verified() {
		return identity.Errorf(identity.CodeForbidden, "A claim needs a verified token in Authorization, and this device's contact token in X-Contact-Token.")
	}
	cp, iat, err := a.contactOf(r.Header.Get("X-Contact-Token"), c.org.ID)
	if err != nil {
		return err
	}
	owner := v.Owner("")
	// The contact token must still stand, as everywhere: an erased
	// contact's is refused, so that no claim carries the erased person's
	// chats out of the erasure's reach. And the user's record id, for the
	// org's views of the sessions.
	err = conc.All(
		func() error {
			_, err := a.standing(r.Context(), cp, iat)
			if errors.Is(err, identity.ErrTokenRevoked) {
				return identity.Errorf(identity.CodeTokenRevoked, "The contact of X-Contact-Token has been erased.")
			}
			return err
		},
		func() error {
			u, err := a.store.User(r.Context(), v.OrgID, identity.KeyOf(v.UserID, v.Email))
			if err == nil {
				owner.UID = u.ID
			} else if !errors.Is(err, identity.ErrNotFound) {
				return err
			}
			return nil
		},
	)
	if err != nil {
		return err
	}
	// Claims of one device's contact take turns in the instance: two
	// verified users claiming it at once each listed its sessions before
	// either moved them, and both were answered (and told by webhook) the
	// same sessions, the loser keeping a listing key of them. KV has no
	// compare-and-set, so two instances at once are not kept apart (store
	// doc.go).
	unlock, err := a.hold(r.Context(), "claim\x00"+v.OrgID+"\x00"+cp.Key())
	if err != nil {
		return err
	}
	defer unlock()
	// A claim that stops at the store's bound (done false) answers what it
	// moved: the next claim moves the rest, and the last answers [].
	claimed, _, err := a.store.ClaimSessions(r.Context(), v.OrgID, cp.Key(), owner, v.ExternalID,
		func(s *identity.Session) bool { return identity.Claimable(v, cp, s) })
	if err != nil {
		return err
	}
	a.sessionsClaimed(r.Context(), v.OrgID, claimParty{ID: cp.Subject}, claimParty{ID: owner.UID, UserID: v.UserID, Email: v.Email}, claimed)
	if claimed == nil {
		claimed = []*identity.Session{} // "claimed": [], not null
	}
	writeJSON(w, httpx.StatusOK, claimView{Claimed: claimed})
	return nil
}

// contactOf verifies the contact token of X-Contact-Token for org, and
// returns its contact and when it was issued.
func (a *API) contactOf(raw, orgID string) (identity.Principal, time.Time, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return identity.Principal{}, time.Time{}, identity.Errorf(identity.CodeInvalidRequest, "X-Contact-Token is required: the contact token of this device.")
	}
	claims, err := a.tokens.VerifySignature(raw).For(orgID)
	switch {
	case errors.Is(err, token.ErrExpired):
		return identity.Principal{}, time.Time{}, identity.Errorf(identity.CodeTokenExpired, "The contact token of X-Contact-Token has expired.")
	case errors.Is(err, token.ErrWrongAudience):
		return identity.Principal{}, time.Time{}, identity.Errorf(identity.CodeInvalidToken, "The contact token of X-Contact-Token was issued for another org.")
	case err != nil:
		return identity.Principal{}, time.Time{}, identity.Errorf(identity.CodeInvalidToken, "The contact token of X-Contact-Token is not valid.")
	}
	if claims.Kind != token.KindContact {
		return identity.Principal{}, time.Time{}, identity.Errorf(identity.CodeInvalidToken, "X-Contact-Token must be a contact token, not a verified token.")
	}
	// token.Verify has checked that sub is the cid.
	return identity.Principal{OrgID: orgID, Kind: identity.KindContact, Subject: claims.Subject}, claims.IssuedAtTime(), nil
}

type claimView struct {
	Claimed []*identity.Session `json:"claimed"`
}

// claimEvent is the data of sessions.claimed: who gave, who took, and the
// sessions as they now are (the org's views, with their new owner).
type claimEvent struct {
	Contact  claimParty   `json:"contact"`
	User     claimParty   `json:"user"`
	Sessions []orgSession `json:"sessions"`
}

type claimParty struct {
	ID     string `json:"id"`
	UserID string `json:"user_id,omitempty"`
	Email  string `json:"email,omitempty"`
}
