package widget

import (
	"context"
	"encoding/json"
	"time"
)

// The values of claimChats.
const (
	ClaimNever  = "never"
	ClaimAsk    = "ask"
	ClaimAlways = "always"
)

// keyAsked + a user's token subject marks that the claim prompt was answered
// for that user on this device.
const keyAsked = "claim-asked:"

// ClaimOffer is what the panel shows about this device's chats when a
// verified user starts the widget.
type ClaimOffer struct {
	// Ask: show the prompt for Count conversations (More: at least that many).
	Ask   bool `json:"ask"`
	Count int  `json:"count"`
	More  bool `json:"more"`
	// Claimed counts the chats claimed without asking (claimChats "always").
	Claimed int `json:"claimed"`
}

// claimPageSize is how many of the device's sessions the prompt counts.
const claimPageSize = 100

// OfferClaim decides, after Start, whether this device's chats can go to
// the verified user: with claimChats "ask" it counts them for the prompt
// (once per user and device), with "always" it claims them. Nothing to do
// (another mode, no contact on this device, no chats) is a zero offer.
func (w *Widget) OfferClaim(ctx context.Context) (ClaimOffer, error) {
	w.mu.Lock()
	mode, tok := w.mode, w.userToken
	w.mu.Unlock()
	if mode != ModeVerified || w.cfg.ClaimChats == ClaimNever || w.cfg.ClaimChats == "" {
		return ClaimOffer{}, nil
	}
	if w.cfg.ClaimChats == ClaimAsk && w.asked(tok) {
		return ClaimOffer{}, nil
	}
	ct, err := w.deviceContact(ctx)
	if err != nil || ct == "" {
		return ClaimOffer{}, err
	}
	// Count what a claim would move: with a verified token bound to an
	// external id, that workspace's chats only; else every chat of the
	// device, whatever the config's externalId (a claim moves them all).
	page, err := w.client.ListSessions(ctx, ct, tokenClaims(tok).ExternalID, "", claimPageSize)
	if err != nil || len(page.Items) == 0 {
		return ClaimOffer{}, err
	}
	if w.cfg.ClaimChats == ClaimAsk {
		return ClaimOffer{Ask: true, Count: len(page.Items), More: page.NextCursor != ""}, nil
	}
	n, err := w.Claim(ctx)
	return ClaimOffer{Claimed: n}, err
}

// Claim gives this device's chats to the verified user (POST
// /v1/widget/claim), then forgets the contact token (the device id stays;
// a token bound to an external id, which moved only that workspace's
// chats, keeps it for the others) and remembers that this user was asked. The messages the visitor left
// unsent on this workspace's pages are sent first with the contact token;
// those still unsent in the chats that moved, typed on this or another
// workspace's pages, go to the user from then on, sent with the user's token
// under their own Idempotency-Keys (the worker stores each once, whoever
// sent it first), and the outbox is flushed. It returns how many chats
// moved.
func (w *Widget) Claim(ctx context.Context) (int, error) {
	ct, err := w.deviceContact(ctx)
	if err != nil || ct == "" {
		return 0, err
	}
	// What the visitor left unsent goes first, as the visitor: a new chat
	// gets its session, which the claim then moves with the others.
	w.flushContact(ctx, ct)
	total, moved := 0, map[string]bool{}
	defer func() {
		if len(moved) == 0 {
			return
		}
		w.mu.Lock()
		user := w.ownerLocked()
		w.mu.Unlock()
		w.outbox.reown(moved, user)
		w.Flush(ctx)
	}()
	// A claim moves about 220 sessions a request; a full answer may have
	// left some for the next one.
	for range 5 {
		var out struct {
			Claimed []Session `json:"claimed"`
		}
		err := w.authed(ctx, func(bearer string) error {
			return w.client.do(ctx, call{method: "POST", path: "/v1/widget/claim", bearer: bearer, contactToken: ct}, &out)
		})
		if err != nil {
			return total, err
		}
		total += len(out.Claimed)
		for _, s := range out.Claimed {
			moved[s.ID] = true
		}
		if len(out.Claimed) < claimPageSize {
			break
		}
	}
	w.mu.Lock()
	tok := w.userToken
	// A token bound to a workspace moved only that workspace's chats: the
	// device keeps its contact token for the others, which that user's
	// page of another workspace may claim ("always").
	if tokenClaims(tok).ExternalID == "" {
		w.st.Remove(StorageKey(w.cfg.Token, keyContact))
		w.contact = nil
	}
	w.mu.Unlock()
	w.markAsked(tok)
	return total, nil
}

// deviceContact returns this device's contact token, for a claim: the
// stored one, renewed from the device id (the same contact, with the name
// and email it had) when it has expired, since the chats outlive it; "" when
// the device has none (it never chatted, or its chats were claimed).
func (w *Widget) deviceContact(ctx context.Context) (string, error) {
	w.mu.Lock()
	c := w.loadContactLocked()
	w.mu.Unlock()
	switch {
	case c == nil:
		return "", nil
	case c.usable(w.now()):
		return c.Token, nil
	}
	ans, err := w.client.CreateContact(ctx, ContactRequest{DeviceID: c.DeviceID, Name: c.Name, Email: c.Email})
	if err != nil {
		return "", err
	}
	fresh := *c
	fresh.Token, fresh.ExpiresAt = ans.Token, time.Time{}
	if exp, ok := tokenExpiry(ans.Token); ok {
		fresh.ExpiresAt = exp
	}
	w.mu.Lock()
	if w.loadContactLocked() == c { // not logged out or claimed meanwhile
		saveContact(w.st, w.cfg.Token, &fresh)
		w.contact = &fresh
	}
	w.mu.Unlock()
	return fresh.Token, nil
}

// DeclineClaim remembers that the verified user said no: the prompt is not
// shown to them again on this device, and the chats stay with the device.
func (w *Widget) DeclineClaim() {
	w.mu.Lock()
	tok := w.userToken
	w.mu.Unlock()
	w.markAsked(tok)
}

func (w *Widget) asked(tok string) bool {
	sub := tokenSubject(tok)
	if sub == "" {
		return false
	}
	_, ok := w.st.Get(StorageKey(w.cfg.Token, keyAsked+sub))
	return ok
}

func (w *Widget) markAsked(tok string) {
	if sub := tokenSubject(tok); sub != "" {
		w.st.Set(StorageKey(w.cfg.Token, keyAsked+sub), "1")
	}
}

// tokenSubject reads the sub claim of a JWT without checking its signature:
// the verified user's identity key, which names them across tokens.
func tokenSubject(jwt string) string { return tokenClaims(jwt).Sub }

// claims are the claims of a user token the widget reads.
type claims struct {
	Sub        string `json:"sub"`
	ExternalID string `json:"external_id"` // the workspace a verified token is bound to
}

// tokenClaims reads a JWT's claims without checking its signature (the
// worker does that); a token it cannot read has none.
func tokenClaims(jwt string) claims {
	var c claims
	raw, ok := tokenPayload(jwt)
	if !ok || json.Unmarshal(raw, &c) != nil {
		return claims{}
	}
	return c
}
