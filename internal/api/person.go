package api

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/chatwidget/identity/internal/webhook"

	"github.com/chatwidget/identity/internal/conc"
	"github.com/chatwidget/identity/internal/httpx"
	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/queue"
	"github.com/chatwidget/identity/internal/store"
)

// A person's data: export, erasure and its progress (the contract's "A
// person's data"; the store's side is in internal/store/erase.go).

// deletionKind is the queue kind of an erasure's batches.
const deletionKind = "deletion"

// deletionJob is a deletion batch's message: which deletion, which step.
type deletionJob struct {
	Org  string `json:"org"`
	ID   string `json:"id"`
	Step int    `json:"step"`
}

// deletionAheadRetry is when a batch that came before its predecessor's
// record was seen is tried again; after deletionAheadTries it is dropped
// (GET /v1/deletions/{id} sends a stalled job again).
const (
	deletionAheadRetry = 2 * time.Second
	deletionAheadTries = 30
	deletionFailRetry  = 10 * time.Second
)

// handleDeletion runs one batch of an erasure.
func (a *API) handleDeletion(ctx context.Context, m queue.Message) queue.Outcome {
	var job deletionJob
	if err := decodeJSON(m.Body, &job); err != nil || job.Org == "" {
		a.log.Warn("deletion job dropped: not a deletion job")
		return queue.Ack()
	}
	res, err := a.store.Step(ctx, job.Org, job.ID, job.Step, func(next int, delay time.Duration) error {
		return a.enqueue(ctx, deletionKind, deletionJob{Org: job.Org, ID: job.ID, Step: next}, delay)
	})
	switch {
	case errors.Is(err, identity.ErrNotFound):
		return queue.Ack()
	case err != nil:
		a.log.Warn("deletion batch failed; retried", "deletion", job.ID, "err", err.Error())
		return queue.Retry(deletionFailRetry)
	case res.Ahead && m.Attempts < deletionAheadTries:
		return queue.Retry(deletionAheadRetry)
	case res.Handled && res.Done:
		// Once, by the batch that finished it: a batch delivered again is
		// not Handled. The webhook-id is the deletion's, so a retry of the
		// event itself is deduplicated by the org.
		if d, err := a.store.Deletion(ctx, job.Org, job.ID); err == nil {
			a.events.Enqueue(ctx, job.Org, webhook.DeletionCompleted, d.ID, nil, viewDeletion(d))
		}
	}
	return queue.Ack()
}

type deletionView struct {
	ID          string     `json:"id"`
	Status      string     `json:"status"`
	RequestedAt time.Time  `json:"requested_at"`
	CompletedAt *time.Time `json:"completed_at"`
	Sessions    *int       `json:"sessions"`
	Messages    *int       `json:"messages"`
}

// acceptedDeletion is the 202 of a DELETE of a person: {id, status,
// requested_at}, as API.md gives it; how far it is, and what it removed,
// are GET /v1/deletions/{id}'s to say.
type acceptedDeletion struct {
	ID          string    `json:"id"`
	Status      string    `json:"status"`
	RequestedAt time.Time `json:"requested_at"`
}

func viewAccepted(d *store.Deletion) map[string]any {
	return map[string]any{"deletion": acceptedDeletion{ID: d.ID, Status: d.Status, RequestedAt: d.RequestedAt}}
}

func viewDeletion(d *store.Deletion) map[string]any {
	v := deletionView{ID: d.ID, Status: d.Status, RequestedAt: d.RequestedAt, CompletedAt: d.CompletedAt}
	if d.Status == store.DeletionDone {
		v.Sessions, v.Messages = &d.Sessions, &d.Messages
	}
	return map[string]any{"deletion": v}
}

// startDeletion erases a person and sends the first batch. The erasure is
// in force once the records are written: a send that fails is sent again
// when the deletion's status is read.
func (a *API) startDeletion(w httpx.ResponseWriter, r *httpx.Request, e store.Erasure) error {
	d, err := a.store.StartDeletion(r.Context(), e)
	if err != nil {
		return err
	}
	if err := a.enqueue(r.Context(), deletionKind, deletionJob{Org: e.OrgID, ID: d.ID}, 0); err != nil {
		a.log.Warn("deletion job not sent; sent again when its status is read", "deletion", d.ID, "err", err.Error())
	}
	writeJSON(w, httpx.StatusAccepted, viewAccepted(d))
	return nil
}

// userQuery reads user_id or email of the query as the identity key.
func userQuery(r *httpx.Request) (identity.Key, error) {
	q := r.URL.Query()
	uid, email := q.Get("user_id"), q.Get("email")
	_, _, k, err := identityFields(&uid, &email)
	return k, err
}

// erasedAgain answers a DELETE of a person already erased (their record is
// gone, their tombstone says by which deletion) with that deletion.
func (a *API) erasedAgain(w httpx.ResponseWriter, r *httpx.Request, orgID, principalKey string) error {
	tomb, err := a.store.TombstoneOf(r.Context(), orgID, principalKey)
	if err != nil {
		return err
	}
	if tomb == nil {
		return identity.ErrNotFound
	}
	d, err := a.store.Deletion(r.Context(), orgID, tomb.Deletion)
	if err != nil {
		return err
	}
	writeJSON(w, httpx.StatusAccepted, viewAccepted(d))
	return nil
}

func (a *API) deleteUser(w httpx.ResponseWriter, r *httpx.Request, c serverCall) error {
	k, err := userQuery(r)
	if err != nil {
		return err
	}
	if _, err := a.store.User(r.Context(), c.orgID, k); errors.Is(err, identity.ErrNotFound) {
		return a.erasedAgain(w, r, c.orgID, k.String())
	} else if err != nil {
		return err
	}
	// The tombstone is written once the writes of the user's verified
	// tokens in flight in this instance have ended (holdPerson).
	unlock, err := a.holdPerson(r.Context(), c.orgID, k.String(), true)
	if err != nil {
		return err
	}
	defer unlock()
	return a.startDeletion(w, r, store.Erasure{OrgID: c.orgID, PrincipalKey: k.String(), UserKey: &k})
}

func (a *API) deleteContact(w httpx.ResponseWriter, r *httpx.Request, c serverCall) error {
	return a.eraseContact(w, r, c.orgID, r.PathValue("contact_id"))
}

func (a *API) eraseContact(w httpx.ResponseWriter, r *httpx.Request, orgID, contactID string) error {
	contact, err := a.store.Contact(r.Context(), orgID, contactID)
	if errors.Is(err, identity.ErrNotFound) {
		if !store.ValidID(contactID) {
			return err
		}
		return a.erasedAgain(w, r, orgID, identity.ContactKey(contactID))
	} else if err != nil {
		return err
	}
	// As a user's erasure: once the contact's writes in flight in this
	// instance have ended (holdPerson).
	unlock, err := a.holdPerson(r.Context(), orgID, identity.ContactKey(contact.ID), true)
	if err != nil {
		return err
	}
	defer unlock()
	if contact.DeviceHash != "" {
		// And once the device's contact writes in flight have ended.
		unlockDevice, err := a.holdDevice(r.Context(), orgID, contact.DeviceHash, true)
		if err != nil {
			return err
		}
		defer unlockDevice()
	}
	return a.startDeletion(w, r, store.Erasure{OrgID: orgID, PrincipalKey: identity.ContactKey(contact.ID), Contact: contact})
}

// widgetForget is DELETE /v1/widget/me: a contact erases itself; the org
// deletes its verified users.
func (a *API) widgetForget(w httpx.ResponseWriter, r *httpx.Request, c *widgetCall) error {
	if c.principal.Verified() {
		return identity.Errorf(identity.CodeForbidden, "A verified user is deleted by the org's server (DELETE /v1/users), not by the widget.")
	}
	if c.unhold != nil {
		c.unhold() // this request is the erasure: it holds its person exclusively
	}
	return a.eraseContact(w, r, c.org.ID, c.principal.Subject)
}

func (a *API) getDeletion(w httpx.ResponseWriter, r *httpx.Request, c serverCall) error {
	d, err := a.store.Deletion(r.Context(), c.orgID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if kick, err := a.store.ShouldKick(r.Context(), d); err == nil && kick {
		// A job whose message was lost goes on; a duplicate is dropped.
		_ = a.enqueue(r.Context(), deletionKind, deletionJob{Org: c.orgID, ID: d.ID, Step: d.Step}, 0)
	}
	writeJSON(w, httpx.StatusOK, viewDeletion(d))
	return nil
}

type exportSession struct {
	Session  orgSession          `json:"session"`
	Messages []*identity.Message `json:"messages"`
}

// writeExport writes a page of the person's export; uid, when not empty, is
// the user's record id, for the owner of sessions stored before it was kept.
func (a *API) writeExport(w httpx.ResponseWriter, r *httpx.Request, orgID, principalKey, field string, person any, tomb *store.Tombstone, uid string) error {
	items, next, _, err := a.store.ExportSessions(r.Context(), orgID, principalKey, tomb.Hides, r.URL.Query().Get("cursor"))
	if err != nil {
		return err
	}
	out := make([]exportSession, len(items))
	for i, it := range items {
		if it.Session.Owner.Verified && it.Session.Owner.UID == "" {
			it.Session.Owner.UID = uid
		}
		out[i] = exportSession{Session: orgSession{it.Session}, Messages: it.Messages}
	}
	writeJSON(w, httpx.StatusOK, map[string]any{field: person, "sessions": out, "next_cursor": nullable(next)})
	return nil
}

func (a *API) exportUser(w httpx.ResponseWriter, r *httpx.Request, c serverCall) error {
	k, err := userQuery(r)
	if err != nil {
		return err
	}
	var u *identity.User
	var tomb *store.Tombstone
	if err := conc.All(
		func() (err error) { u, err = a.store.User(r.Context(), c.orgID, k); return err },
		func() (err error) { tomb, err = a.store.TombstoneOf(r.Context(), c.orgID, k.String()); return err },
	); err != nil {
		return err
	}
	return a.writeExport(w, r, c.orgID, k.String(), "user", viewUser(u), tomb, u.ID)
}

func (a *API) exportContact(w httpx.ResponseWriter, r *httpx.Request, c serverCall) error {
	contact, err := a.store.Contact(r.Context(), c.orgID, r.PathValue("contact_id"))
	if err != nil {
		return err
	}
	return a.writeExport(w, r, c.orgID, identity.ContactKey(contact.ID), "contact", viewContact(contact), nil, "")
}

// orgSession is a session as the org's server sees it: with its owner.
type orgSession struct{ *identity.Session }

type ownerView struct {
	Kind   string  `json:"kind"`
	ID     *string `json:"id"`
	UserID *string `json:"user_id,omitempty"`
	Email  *string `json:"email,omitempty"`
}

func viewOwner(o identity.Owner) ownerView {
	if o.Verified {
		v := ownerView{Kind: "user", ID: nullable(o.UID), UserID: nullable(o.UserID), Email: nullable(o.Email)}
		return v
	}
	return ownerView{Kind: "contact", ID: nullable(o.ContactID)}
}

// MarshalJSON writes the session with "owner" (a user's user_id and email
// even when null).
func (s orgSession) MarshalJSON() ([]byte, error) {
	if s.Session == nil {
		return []byte("null"), nil
	}
	type session identity.Session // without MarshalJSON
	o := viewOwner(s.Owner)
	if o.Kind == "user" {
		return json.Marshal(struct {
			*session
			Owner userOwnerView `json:"owner"`
		}{(*session)(s.Session), userOwnerView{o.Kind, o.ID, o.UserID, o.Email}})
	}
	return json.Marshal(struct {
		*session
		Owner ownerView `json:"owner"`
	}{(*session)(s.Session), o})
}

// userOwnerView is a user's ownerView, its user_id and email null rather
// than left out.
type userOwnerView struct {
	Kind   string  `json:"kind"`
	ID     *string `json:"id"`
	UserID *string `json:"user_id"`
	Email  *string `json:"email"`
}
