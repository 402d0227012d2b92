package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"

	"github.com/chatwidget/identity/internal/httpx"
	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/store"
	"github.com/chatwidget/identity/internal/token"
)

type contactRequest struct {
	DeviceID   *string         `json:"device_id"`
	Name       *string         `json:"name"`
	Email      *string         `json:"email"`
	CustomData json.RawMessage `json:"custom_data"`
}

func (a *API) createContact(w httpx.ResponseWriter, r *httpx.Request, c *widgetCall) error {
	var req contactRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if req.DeviceID == nil {
		return &identity.Error{Code: identity.CodeInvalidDeviceID, Message: "device_id is required: a canonical UUID version 4."}
	}
	if err := identity.ValidateDeviceID(*req.DeviceID); err != nil {
		return err
	}
	var in store.ContactInput
	if req.Name != nil {
		name, err := identity.ValidateName("name", *req.Name, identity.MaxNameChars)
		if err != nil {
			return err
		}
		in.Name = &name
	}
	if req.Email != nil {
		email := ""
		if *req.Email != "" {
			var err error
			if email, err = identity.NormalizeEmail("email", *req.Email); err != nil {
				return err
			}
		}
		in.Email = &email
	}
	var err error
	if in.CustomData, err = identity.ParseCustomData("custom_data", req.CustomData); err != nil {
		return err
	}
	err = a.limiter.Check(r.Context(),
		limitScope{key: "contact-device/" + c.org.ID + "/" + store.DeviceLimitKey(*req.DeviceID), limit: a.cfg.RateLimits.ContactsPerDevice},
		limitScope{key: "contact-ip/" + clientIP(r), limit: a.cfg.RateLimits.ContactsPerIP},
	)
	if err != nil {
		return err
	}
	// From the read of the device's index to the token: a contact erased
	// meanwhile is not written back, nor given a token (holdDevice).
	unlock, err := a.holdDevice(r.Context(), c.org.ID, store.DeviceLimitKey(*req.DeviceID), false)
	if err != nil {
		return err
	}
	defer unlock()
	contact, err := a.store.UpsertContact(r.Context(), c.org.ID, *req.DeviceID, in)
	if err != nil {
		return err
	}
	// The token names the contact; the device id, which mints tokens, stays
	// with the browser.
	claims := token.Claims{Kind: token.KindContact, ContactID: contact.ID}
	claims.Subject = contact.ID
	claims.Audience = []string{c.org.ID}
	tok, exp, err := a.tokens.Issue(claims, a.cfg.ContactTokenTTL)
	if err != nil {
		return err
	}
	writeJSON(w, httpx.StatusOK, map[string]any{"token": tok, "expires_at": exp.UTC(), "contact": viewContact(contact)})
	return nil
}

// clientIP is the address Cloudflare saw the request come from, as the key
// of a per-address rate limit: an IPv6 address by its /64, the block one
// subscriber is given, in which one machine may take any address it likes
// (a budget per /128 would be none); an IPv4 address as itself.
func clientIP(r *httpx.Request) string {
	ip := r.Header.Get("CF-Connecting-IP")
	if ip == "" || len(ip) > 64 {
		return "unknown"
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	if addr = addr.WithZone("").Unmap(); addr.Is4() {
		return addr.String()
	}
	block, err := addr.Prefix(64)
	if err != nil {
		return ip
	}
	return block.String()
}

func (a *API) me(w httpx.ResponseWriter, r *httpx.Request, c *widgetCall) error {
	p := c.principal
	if p.Verified() {
		u, err := a.store.User(r.Context(), p.OrgID, identity.KeyOf(p.UserID, p.Email))
		if errors.Is(err, identity.ErrNotFound) {
			u = &identity.User{UserID: p.UserID, Email: p.Email}
		} else if err != nil {
			return err
		}
		v := viewUser(u)
		// What the token signed binds this use of it.
		v.ExternalID = nullable(p.ExternalID)
		writeJSON(w, httpx.StatusOK, map[string]any{"user": v})
		return nil
	}
	contact, err := a.store.Contact(r.Context(), p.OrgID, p.Subject)
	if errors.Is(err, identity.ErrNotFound) {
		contact = &identity.Contact{ID: p.Subject}
	} else if err != nil {
		return err
	}
	writeJSON(w, httpx.StatusOK, map[string]any{"contact": viewContact(contact)})
	return nil
}

type createSessionRequest struct {
	ExternalID *string         `json:"external_id"`
	CustomData json.RawMessage `json:"custom_data"`
}

func (a *API) createSession(w httpx.ResponseWriter, r *httpx.Request, c *widgetCall) error {
	body, idemKey, err := a.readIdempotent(r)
	if err != nil {
		return err
	}
	var req createSessionRequest
	if err := decodeJSON(body, &req); err != nil {
		return err
	}
	if req.ExternalID != nil && *req.ExternalID == "" {
		req.ExternalID = nil
	}
	p := c.principal
	ext, err := identity.ScopeExternalID(p, req.ExternalID)
	if err != nil {
		return err
	}
	custom, err := identity.ParseCustomData("custom_data", req.CustomData)
	if err != nil {
		return err
	}
	ctx := r.Context()
	scope := store.PrincipalScope(p.Key())
	unlock, err := a.holdKey(ctx, p.OrgID, scope, callerOf(p), idemKey)
	if err != nil {
		return err
	}
	defer unlock()
	// The answer of a history erased since is as none: its body, whatever
	// it was, is no conflict for the new one's, and it is never written
	// back.
	standing := func(rep *store.Replay) bool { return rep.Session == nil || !c.gone.Hides(rep.Session) }
	done, err := a.replay(w, r, p.OrgID, scope, callerOf(p), idemKey, body, standing, func(rep *store.Replay) error {
		if rep.Session == nil || !identity.CanSee(p, rep.Session) {
			return identity.ErrIdempotencyConflict
		}
		wrote, err := a.store.EnsureSessionWrote(ctx, rep.Session)
		if errors.Is(err, store.ErrClaimedAway) {
			return errStaleReplay // claimed: not this caller's any more
		}
		if err == nil && wrote {
			a.sessionCreated(ctx, rep.Session) // the first request never stored it
		}
		return err
	})
	if done || err != nil {
		return err
	}
	if err := a.limiter.Check(ctx, widgetWriteLimits(a, r, p)...); err != nil {
		return err
	}
	owner := p.Owner("")
	if p.Verified() {
		// The user's record id, for the org's views of the session.
		if u, err := a.store.User(ctx, p.OrgID, identity.KeyOf(p.UserID, p.Email)); err == nil {
			owner.UID = u.ID
		} else if !errors.Is(err, identity.ErrNotFound) {
			return err
		}
	} else {
		// The email the contact claimed, for the org server's filters only.
		if contact, err := a.store.Contact(ctx, p.OrgID, p.Subject); err == nil {
			owner = p.Owner(contact.Email)
		} else if !errors.Is(err, identity.ErrNotFound) {
			return err
		}
	}
	sess := a.store.PrepareSession(store.NewSession{OrgID: p.OrgID, Owner: owner, ExternalID: ext, CustomData: custom})
	out, err := json.Marshal(sessionView{Session: sess})
	if err != nil {
		return err
	}
	if idemKey != "" {
		rep := &store.Replay{Fingerprint: fingerprint(r, body), Status: httpx.StatusCreated, Body: out, Session: sess}
		if err := a.store.SaveReplay(ctx, p.OrgID, scope, callerOf(p), idemKey, rep); err != nil {
			return err
		}
	}
	if err := a.store.CreateSession(ctx, sess); err != nil {
		return err
	}
	a.sessionCreated(ctx, sess)
	writeRaw(w, httpx.StatusCreated, out)
	return nil
}

func (a *API) listSessions(w httpx.ResponseWriter, r *httpx.Request, c *widgetCall) error {
	cursor, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	var requested *string
	if v := r.URL.Query().Get("external_id"); v != "" {
		requested = &v
	}
	p := c.principal
	ext, err := identity.ScopeExternalID(p, requested)
	if err != nil {
		return err
	}
	var f store.SessionFilter
	if ext != "" {
		f.ExternalID = &ext
	}
	f.Hide = c.gone.Hides
	items, next, err := a.store.ListOwnerSessions(r.Context(), p.OrgID, p.Key(), f, cursor, limit)
	if err != nil {
		return err
	}
	writeJSON(w, httpx.StatusOK, viewList(items, next))
	return nil
}

// visibleSession returns the session of the path if the principal may see it;
// one it may not see is not found, like one that does not exist.
func (a *API) visibleSession(r *httpx.Request, c *widgetCall) (*identity.Session, error) {
	p := c.principal
	sess, err := a.store.Session(r.Context(), p.OrgID, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if !identity.CanSee(p, sess) || c.gone.Hides(sess) {
		return nil, identity.ErrNotFound
	}
	return sess, nil
}

func (a *API) getSession(w httpx.ResponseWriter, r *httpx.Request, c *widgetCall) error {
	sess, err := a.visibleSession(r, c)
	if err != nil {
		return err
	}
	return a.writeSessionWithMessages(w, r, sess)
}

func (a *API) postMessage(w httpx.ResponseWriter, r *httpx.Request, c *widgetCall) error {
	m, err := a.readMessage(r)
	if err != nil {
		return err
	}
	p := c.principal
	k := msgKey{scope: store.PrincipalScope(p.Key()), caller: callerOf(p), key: m.idemKey}
	sess, err := a.store.Session(r.Context(), p.OrgID, r.PathValue("id"))
	if err != nil {
		return err
	}
	switch {
	case !identity.CanSee(p, sess) || c.gone.Hides(sess):
		if err := a.claimedAway(r.Context(), c, sess, m.idemKey); err != nil {
			return err
		}
		// Its retry of a message the owner sent for it.
		k.replayOnly, k.also = true, ownerAnswers(sess)
	case p.Verified() && sess.ClaimedAt != nil:
		// The owner's retry of a message the contact had in flight.
		k.also = contactAnswers(sess)
	case !p.Verified():
		// A contact's own session, as read: if a claim took it meanwhile
		// and the owner's post of this key went first, take its answer.
		k.recheck = func(ctx context.Context) ([]answerOf, error) {
			now, err := a.store.Session(ctx, p.OrgID, sess.ID)
			if errors.Is(err, identity.ErrNotFound) || err == nil && !store.ClaimedFrom(now, p.Key()) {
				return nil, nil
			}
			if err != nil {
				return nil, err
			}
			return ownerAnswers(now), nil
		}
	}
	k.turns = !sess.Owner.Verified || sess.ClaimedAt != nil
	if c.gone != nil {
		// An identity erased before: its answer of the key about another
		// session stands only if that session is of its new history (one
		// get, on this path alone), else it is as none, not a conflict.
		k.mine = func(rep *store.Replay) bool {
			if rep.Message == nil || rep.Message.SessionID == sess.ID {
				return true
			}
			was, err := a.store.Session(r.Context(), p.OrgID, rep.Message.SessionID)
			return err != nil && !errors.Is(err, identity.ErrNotFound) || err == nil && !c.gone.Hides(was)
		}
	}
	return a.addMessage(w, r, sess, k, m.body, identity.RoleUser, *m.req.Content, "", widgetWriteLimits(a, r, p)...)
}

// widgetWriteLimits are the budgets a widget's new message or new session
// spends: one per principal (a device's contact, or a verified identity) and
// one per client address. Sessions count with messages: each is a few KV
// writes that a public widget token could otherwise repeat without bound.
func widgetWriteLimits(a *API, r *httpx.Request, p identity.Principal) []limitScope {
	return []limitScope{
		{key: ScopeMessagesPerDevice + "/" + p.OrgID + "/" + p.Key(), limit: a.cfg.RateLimits.MessagesPerDevice},
		{key: ScopeMessagesPerIP + "/" + clientIP(r), limit: a.cfg.RateLimits.MessagesPerIP},
	}
}

// claimedAway decides a contact's post, with an Idempotency-Key, to a
// session it does not see: one claimed from it (the visitor logged in and
// the widget carried the device's chats into the account) still gets the
// first answer of a message stored there under that key (its own, sent
// before the claim, or the claimer's send of it), so that a retry of one in
// flight at the claim is not refused and never stored twice (the claimer's
// retry finds the same answer: contactAnswers). The contact posts nothing new
// there and never reads the session again (rule 1 of API.md: the contact
// token no longer sees it); the widget hands its unsent messages of the
// claimed chats to the user (widget.Claim). Anything else is not found, as
// for every session a caller may not see.
func (a *API) claimedAway(ctx context.Context, c *widgetCall, sess *identity.Session, idemKey string) error {
	p := c.principal
	if p.Verified() || idemKey == "" || !store.ClaimedFrom(sess, p.Key()) {
		return identity.ErrNotFound
	}
	// Not a session its claimer's erasure took.
	tomb, err := a.store.TombstoneOf(ctx, p.OrgID, sess.Owner.Key)
	if err != nil {
		return err
	}
	if tomb.Hides(sess) {
		return identity.ErrNotFound
	}
	return nil
}

// contactAnswers are, for the owner of the claimed session sess, the answers
// of the contact it was claimed from (its caller is callerOf its principal),
// where the contact's posts of before the claim keep them. On a session
// claimed before its owner kept the contact's id, the copies the widget's
// posts kept in the session's scope then.
func contactAnswers(sess *identity.Session) []answerOf {
	if id := sess.Owner.FromContact; id != "" {
		key := identity.ContactKey(id)
		return []answerOf{{scope: store.PrincipalScope(key), caller: key + "\x00"}}
	}
	return []answerOf{{scope: store.SessionScope(sess.ID), caller: sharedCaller}}
}

// ownerAnswers are, for the contact a session was claimed from, the answers
// of the session's verified owner (callerOf a token of it bound to the
// session's external id, or to none).
func ownerAnswers(sess *identity.Session) []answerOf {
	scope := store.PrincipalScope(sess.Owner.Key)
	out := []answerOf{{scope: scope, caller: sess.Owner.Key + "\x00"}}
	if ext := sess.ExternalIDValue(); ext != "" {
		out = append(out, answerOf{scope: scope, caller: sess.Owner.Key + "\x00" + ext})
	}
	return out
}

// callerOf names the caller an Idempotency-Key belongs to: the principal, and
// the external id its token binds, so that tokens of one identity for two
// workspaces never share a first answer.
func callerOf(p identity.Principal) string {
	return p.Key() + "\x00" + p.ExternalID
}
