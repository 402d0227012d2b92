package api

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chatwidget/identity/internal/conc"
	"github.com/chatwidget/identity/internal/httpx"
	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/store"
	"github.com/chatwidget/identity/internal/token"
)

type authenticateRequest struct {
	UserID     *string         `json:"user_id"`
	Email      *string         `json:"email"`
	Name       *string         `json:"name"`
	AvatarURL  *string         `json:"avatar_url"`
	Phone      *string         `json:"phone"`
	CustomData json.RawMessage `json:"custom_data"`
	ExternalID *string         `json:"external_id"`
	TTLSeconds json.RawMessage `json:"ttl_seconds"` // a whole number: identity.ParseWholeNumber
}

// identityFields validates user_id and email, of which one is required, and
// returns them with the identity key.
func identityFields(userID, email *string) (uid, mail string, key identity.Key, err error) {
	if userID != nil && *userID != "" {
		uid = *userID
		if err := identity.ValidateIdentifier("user_id", uid); err != nil {
			return "", "", key, err
		}
	}
	if email != nil && *email != "" {
		if mail, err = identity.NormalizeEmail("email", *email); err != nil {
			return "", "", key, err
		}
	}
	if uid == "" && mail == "" {
		return "", "", key, identity.Invalid("user_id", "or email is required.")
	}
	return uid, mail, identity.KeyOf(uid, mail), nil
}

func (a *API) authenticate(w httpx.ResponseWriter, r *httpx.Request, c serverCall) error {
	var req authenticateRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	uid, email, idKey, err := identityFields(req.UserID, req.Email)
	if err != nil {
		return err
	}
	in := store.UserInput{UserID: uid, Email: email}
	if req.Name != nil {
		name, err := identity.ValidateName("name", *req.Name, identity.MaxNameChars)
		if err != nil {
			return err
		}
		in.Name = &name
	}
	if req.AvatarURL != nil {
		// "" clears it, as for name and phone; null keeps it.
		if *req.AvatarURL != "" {
			if err := identity.ValidateURL("avatar_url", *req.AvatarURL); err != nil {
				return err
			}
		}
		in.AvatarURL = req.AvatarURL
	}
	if req.Phone != nil {
		if err := identity.ValidatePhone("phone", *req.Phone); err != nil {
			return err
		}
		in.Phone = req.Phone
	}
	if in.CustomData, err = identity.ParseCustomData("custom_data", req.CustomData); err != nil {
		return err
	}
	if req.ExternalID != nil && *req.ExternalID != "" {
		if err := identity.ValidateIdentifier("external_id", *req.ExternalID); err != nil {
			return err
		}
		in.ExternalID = *req.ExternalID
	}
	ttl := int64(identity.DefaultTokenTTLSecs)
	if n, present, err := identity.ParseWholeNumber("ttl_seconds", req.TTLSeconds); err != nil {
		return err
	} else if present {
		if err := identity.ValidateTTLSeconds(n); err != nil {
			return err
		}
		ttl = n
	}
	u, err := a.store.UpsertUser(r.Context(), c.orgID, in)
	if err != nil {
		return err
	}
	tok, exp, err := a.issueVerified(c, idKey, uid, email, in.ExternalID, time.Duration(ttl)*time.Second)
	if err != nil {
		return err
	}
	writeJSON(w, httpx.StatusOK, map[string]any{"token": tok, "expires_at": exp.UTC(), "user": viewUser(u)})
	return nil
}

func (a *API) issueVerified(c serverCall, idKey identity.Key, uid, email, externalID string, ttl time.Duration) (string, time.Time, error) {
	claims := token.Claims{Kind: token.KindVerified, UserID: uid, Email: email, ExternalID: externalID, APIKeyID: c.keyID}
	claims.Subject = idKey.String()
	claims.Audience = []string{c.orgID}
	return a.tokens.Issue(claims, ttl)
}

type revokeRequest struct {
	UserID *string `json:"user_id"`
	Email  *string `json:"email"`
}

func (a *API) revoke(w httpx.ResponseWriter, r *httpx.Request, c serverCall) error {
	var req revokeRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	_, _, idKey, err := identityFields(req.UserID, req.Email)
	if err != nil {
		return err
	}
	at, err := a.store.RevokeUser(r.Context(), c.orgID, idKey)
	if err != nil {
		return err
	}
	writeJSON(w, httpx.StatusOK, map[string]any{"revoked_before": at})
	return nil
}

// pageParams reads cursor and limit.
func pageParams(r *httpx.Request) (cursor string, limit int, err error) {
	q := r.URL.Query()
	cursor = q.Get("cursor")
	limit = store.DefaultPageLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > store.MaxPageLimit {
			return "", 0, identity.Invalid("limit", "must be a whole number from 1 to %d.", store.MaxPageLimit)
		}
		limit = n
	}
	return cursor, limit, nil
}

func (a *API) serverListSessions(w httpx.ResponseWriter, r *httpx.Request, c serverCall) error {
	cursor, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var f store.SessionFilter
	if v := q.Get("user_id"); v != "" {
		if err := identity.ValidateIdentifier("user_id", v); err != nil {
			return err
		}
		f.UserID = v
	}
	if v := q.Get("email"); v != "" {
		if utf8.RuneCountInString(v) > identity.MaxEmailChars {
			return identity.Invalid("email", "must be at most %d characters.", identity.MaxEmailChars)
		}
		f.Email = strings.TrimSpace(v)
	}
	if q.Has("external_id") {
		v := q.Get("external_id")
		if v != "" {
			if err := identity.ValidateIdentifier("external_id", v); err != nil {
				return err
			}
			f.ExternalID = &v
		}
	}
	if v := q.Get("verified"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return identity.Invalid("verified", "must be true or false.")
		}
		f.Verified = &b
	}
	var items []*identity.Session
	var next string
	var erasing store.Erasing
	if err := conc.All(
		func() (err error) {
			items, next, err = a.store.ListOrgSessions(r.Context(), c.orgID, f, cursor, limit)
			return err
		},
		func() (err error) { erasing, err = a.store.ErasingOf(r.Context(), c.orgID); return err },
	); err != nil {
		return err
	}
	out := make([]orgSession, 0, len(items))
	for _, s := range items {
		if !erasing.Hides(s) {
			out = append(out, orgSession{s})
		}
	}
	writeJSON(w, httpx.StatusOK, orgSessionList{Items: out, NextCursor: nullable(next)})
	return nil
}

// orgSessionList is a page of the org's sessions, each with its owner.
type orgSessionList struct {
	Items      []orgSession `json:"items"`
	NextCursor *string      `json:"next_cursor"`
}

// orgVisibleSession reads the session of the path for the org's server,
// with the org's erasures in progress at once: a session being erased is
// not found.
func (a *API) orgVisibleSession(r *httpx.Request, orgID string) (*identity.Session, error) {
	var sess *identity.Session
	var erasing store.Erasing
	if err := conc.All(
		func() (err error) { sess, err = a.store.Session(r.Context(), orgID, r.PathValue("id")); return err },
		func() (err error) { erasing, err = a.store.ErasingOf(r.Context(), orgID); return err },
	); err != nil {
		return nil, err
	}
	if erasing.Hides(sess) {
		return nil, identity.ErrNotFound
	}
	return sess, nil
}

func (a *API) serverGetSession(w httpx.ResponseWriter, r *httpx.Request, c serverCall) error {
	sess, err := a.orgVisibleSession(r, c.orgID)
	if err != nil {
		return err
	}
	if o := &sess.Owner; o.Verified && o.UID == "" {
		// Stored before sessions kept their user's record id.
		if u, err := a.store.User(r.Context(), c.orgID, identity.KeyOf(o.UserID, o.Email)); err == nil {
			o.UID = u.ID
		}
	}
	return a.writeSessionWithMessagesAs(w, r, sess, true)
}

func (a *API) writeSessionWithMessages(w httpx.ResponseWriter, r *httpx.Request, sess *identity.Session) error {
	return a.writeSessionWithMessagesAs(w, r, sess, false)
}

// writeSessionWithMessagesAs writes the session and its messages, the
// session with its owner when org is true (the org's view).
func (a *API) writeSessionWithMessagesAs(w httpx.ResponseWriter, r *httpx.Request, sess *identity.Session, org bool) error {
	after := r.URL.Query().Get("after")
	if len(after) > 64 {
		return identity.Invalid("after", "must be a message id.")
	}
	msgs, more, err := a.store.ReadMessages(r.Context(), sess, after)
	if err != nil {
		return err
	}
	if more {
		// One answer holds what a read of messages holds (5,000, 4 MiB, see
		// package store): the rest follow the last one, as after= gives them.
		w.Header().Set("Link", "<"+r.URL.EscapedPath()+"?after="+url.QueryEscape(msgs[len(msgs)-1].ID)+`>; rel="next"`)
	}
	if n := len(msgs); n > 0 && (sess.LastMessage == nil || sess.LastMessage.ID < msgs[n-1].ID) {
		// The summary may lag behind the messages (see package store).
		sess.LastMessage = msgs[n-1]
		if sess.LastMessage.CreatedAt.After(sess.UpdatedAt) {
			sess.UpdatedAt = sess.LastMessage.CreatedAt
		}
	}
	if org {
		writeJSON(w, httpx.StatusOK, exportSession{Session: orgSession{sess}, Messages: msgs})
		return nil
	}
	writeJSON(w, httpx.StatusOK, sessionWithMessages{Session: sess, Messages: msgs})
	return nil
}

func (a *API) serverPostMessage(w httpx.ResponseWriter, r *httpx.Request, c serverCall) error {
	m, err := a.readMessage(r)
	if err != nil {
		return err
	}
	author := ""
	if m.req.AuthorName != nil {
		if author, err = identity.ValidateName("author_name", *m.req.AuthorName, identity.MaxAuthorNameChars); err != nil {
			return err
		}
	}
	// The message writes the session of a person (its summary), so it holds
	// them as their own writes do, from its check of their erasure on
	// (holdPerson): within the instance it does not straddle the erasure.
	sess, err := a.store.Session(r.Context(), c.orgID, r.PathValue("id"))
	if err != nil {
		return err
	}
	unlock, err := a.holdPerson(r.Context(), c.orgID, sess.Owner.Key, false)
	if err != nil {
		return err
	}
	defer unlock()
	tomb, err := a.store.TombstoneOf(r.Context(), c.orgID, sess.Owner.Key)
	if err != nil {
		return err
	}
	if tomb.Hides(sess) {
		return identity.ErrNotFound
	}
	return a.addMessage(w, r, sess, msgKey{scope: store.SessionScope(sess.ID), caller: "org:" + c.orgID, key: m.idemKey}, m.body, identity.RoleAgent, *m.req.Content, author)
}

type messageRequest struct {
	Content    *string `json:"content"`
	AuthorName *string `json:"author_name"` // the org's server only
}

// postedMessage is a message post as read: the raw body (the idempotency
// fingerprint), its Idempotency-Key, and the decoded, validated request.
type postedMessage struct {
	body    []byte
	idemKey string
	req     messageRequest
}

// readMessage reads and validates a message post of either route.
func (a *API) readMessage(r *httpx.Request) (postedMessage, error) {
	var m postedMessage
	var err error
	if m.body, m.idemKey, err = a.readIdempotent(r); err != nil {
		return m, err
	}
	if err := decodeJSON(m.body, &m.req); err != nil {
		return m, err
	}
	if m.req.Content == nil {
		return m, identity.Invalid("content", "is required.")
	}
	return m, identity.ValidateContent("content", *m.req.Content)
}
