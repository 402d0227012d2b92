package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"

	"github.com/chatwidget/identity/internal/conc"
	"github.com/chatwidget/identity/internal/httpx"
	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/store"
)

// readIdempotent reads the body and the optional Idempotency-Key.
func (a *API) readIdempotent(r *httpx.Request) (body []byte, key string, err error) {
	if vs, ok := r.Header["Idempotency-Key"]; ok {
		if len(vs) != 1 {
			return nil, "", identity.Invalid("Idempotency-Key", "must be given once.")
		}
		key = vs[0]
		if err := identity.ValidateIdempotencyKey(key); err != nil {
			return nil, "", err
		}
	}
	body, err = readBody(r)
	return body, key, err
}

func fingerprint(r *httpx.Request, body []byte) string {
	h := sha256.New()
	h.Write([]byte(r.Method + " " + r.URL.Path + "\x00"))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// holdKey holds caller's idemKey in scope for the rest of the request (see
// keyLocks), waiting while another request holds it; nothing is held
// without a key.
func (a *API) holdKey(ctx context.Context, orgID string, scope store.IdemScope, caller, idemKey string) (unlock func(), err error) {
	if idemKey == "" {
		return func() {}, nil
	}
	return a.hold(ctx, "idem\x00"+orgID+"\x00"+string(scope)+"\x00"+caller+"\x00"+idemKey)
}

// errStaleReplay is what a replay's complete answers for a first answer that
// an erasure took away: the request is served as a new one.
var errStaleReplay = errors.New("api: the first answer was erased")

// replay answers a retry from its saved first answer, completing what the
// first request may have left undone. ok is false when there is nothing to
// replay.
func (a *API) replay(w httpx.ResponseWriter, r *httpx.Request, orgID string, scope store.IdemScope, caller, key string, body []byte, complete func(*store.Replay) error) (ok bool, err error) {
	if key == "" {
		return false, nil
	}
	rep, err := a.store.Replay(r.Context(), orgID, scope, caller, key)
	if err != nil || rep == nil {
		return false, err
	}
	if rep.Fingerprint != fingerprint(r, body) {
		return true, identity.ErrIdempotencyConflict
	}
	if err := complete(rep); errors.Is(err, errStaleReplay) {
		return false, nil
	} else if err != nil {
		return true, err
	}
	w.Header().Set("Idempotent-Replayed", "true")
	writeRaw(w, rep.Status, rep.Body)
	return true, nil
}

// msgKey is how a message post keeps the first answer of its
// Idempotency-Key: in scope for caller, the widget's principal's (so that a
// key is one request of that caller on any route), or the session's for the
// org's server (so that erasing the session's owner finds it).
type msgKey struct {
	scope  store.IdemScope
	caller string
	key    string
	// shared: the answer is also kept in the session's scope for every
	// widget caller (sharedCaller), and a retry that finds none of its own
	// takes that one. It is set for posts to a session that was a
	// contact's: a claim gives the session to a verified user, whose retry
	// of a message the contact had in flight must find the contact's first
	// answer (and the contact's, the user's), or the message is stored twice.
	shared bool
	// replayOnly: the caller may complete what it sent before, not post a
	// new message (a contact's retry into a session claimed away from it).
	replayOnly bool
}

// sharedCaller is the caller of the answers kept in a session's scope for
// every widget caller (msgKey.shared); the org's server's there are
// "org:"+its org id.
const sharedCaller = "widget"

// addMessage stores a message in sess, honouring k's Idempotency-Key.
// limits, when given, are checked for a new message (not for a replay) and
// spent once it is stored.
func (a *API) addMessage(w httpx.ResponseWriter, r *httpx.Request, sess *identity.Session, k msgKey, body []byte, role identity.Role, content, author string, limits ...limitScope) error {
	ctx := r.Context()
	unlock, err := a.holdKey(ctx, sess.OrgID, k.scope, k.caller, k.key)
	if err != nil {
		return err
	}
	defer unlock()
	if k.shared && k.key != "" {
		// And the key in the session, whoever sends it: a contact's post
		// in flight at a claim and the new owner's retry of it take turns,
		// the second finding the first's answer.
		unlockShared, err := a.holdKey(ctx, sess.OrgID, store.SessionScope(sess.ID), sharedCaller, k.key)
		if err != nil {
			return err
		}
		defer unlockShared()
	}
	complete := func(rep *store.Replay) error {
		if rep.Message == nil || rep.Message.SessionID != sess.ID {
			return identity.ErrIdempotencyConflict
		}
		wrote, err := a.store.EnsureMessageWrote(ctx, sess, rep.Message)
		if err == nil && wrote {
			// The first request stopped before the message was stored, so
			// its event was never sent: this one stores it, and sends it.
			a.messageCreated(ctx, sess, rep.Message)
		}
		return err
	}
	done, err := a.replay(w, r, sess.OrgID, k.scope, k.caller, k.key, body, complete)
	if !done && err == nil && k.shared {
		done, err = a.replay(w, r, sess.OrgID, store.SessionScope(sess.ID), sharedCaller, k.key, body, complete)
	}
	if done || err != nil {
		return err
	}
	if k.replayOnly {
		return identity.ErrNotFound
	}
	if err := a.limiter.Check(ctx, limits...); err != nil {
		return err
	}
	// Posts to one session take turns in the instance, each taking its
	// message's id (its time) once its turn has come: the session's summary
	// is a put of what the post computed, so two posts at once otherwise
	// left the older message as last_message when its put came last.
	unlockSession, err := a.hold(ctx, "session\x00"+sess.OrgID+"\x00"+sess.ID)
	if err != nil {
		return err
	}
	defer unlockSession()
	msg := a.store.PrepareMessage(sess, role, content, author)
	out, err := json.Marshal(messageView{Message: msg})
	if err != nil {
		return err
	}
	if k.key != "" {
		rep := &store.Replay{Fingerprint: fingerprint(r, body), Status: httpx.StatusCreated, Body: out, Message: msg}
		save := []func() error{func() error { return a.store.SaveReplay(ctx, sess.OrgID, k.scope, k.caller, k.key, rep) }}
		if k.shared {
			save = append(save, func() error {
				return a.store.SaveReplay(ctx, sess.OrgID, store.SessionScope(sess.ID), sharedCaller, k.key, rep)
			})
		}
		if err := conc.All(save...); err != nil {
			return err
		}
	}
	summaryErr, err := a.store.AddMessage(ctx, sess, msg)
	if err != nil {
		return err
	}
	a.messageCreated(ctx, sess, msg)
	if summaryErr != nil {
		a.log.Warn("session summary not updated; the message is stored", "session", sess.ID, "err", summaryErr.Error())
	}
	writeRaw(w, httpx.StatusCreated, out)
	return nil
}
