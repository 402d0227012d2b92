package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"

	"github.com/chatwidget/identity/internal/httpx"
	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/store"
)

// readIdempotent reads the body and the optional Idempotency-Key.
func (a *API) readIdempotent(r *httpx.Request) (body []byte, key string, err error) {
	// A header sent twice is one value joined by ", ", as Workers give it
	// (and fetchHeader in process): "a, b" is a key like any other.
	if vs, ok := r.Header["Idempotency-Key"]; ok {
		key = strings.Join(vs, ", ")
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
	return a.hold(ctx, idemHold(orgID, scope, caller, idemKey))
}

// idemHold is the keyLocks key of caller's idemKey in scope.
func idemHold(orgID string, scope store.IdemScope, caller, idemKey string) string {
	return "idem\x00" + orgID + "\x00" + string(scope) + "\x00" + caller + "\x00" + idemKey
}

// errStaleReplay is what a replay's complete answers for a first answer that
// an erasure took away: the request is served as a new one.
var errStaleReplay = errors.New("api: the first answer was erased")

// replay answers a retry from its saved first answer, completing what the
// first request may have left undone. ok is false when there is nothing to
// replay.
// An answer that about, when given, does not take is as none.
func (a *API) replay(w httpx.ResponseWriter, r *httpx.Request, orgID string, scope store.IdemScope, caller, key string, body []byte, about func(*store.Replay) bool, complete func(*store.Replay) error) (ok bool, err error) {
	if key == "" {
		return false, nil
	}
	rep, err := a.store.Replay(r.Context(), orgID, scope, caller, key)
	if err != nil || rep == nil || about != nil && !about(rep) {
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
	// turns: the key is also held in the session for every widget caller
	// (sharedCaller), so that a contact's post in flight at a claim and
	// the new owner's retry of it take turns, the second finding the
	// first's answer. It is set for posts to a session that is or was a
	// contact's. Holds cost no KV operation.
	turns bool
	// also are the scopes of other callers whose answers about this
	// session a post takes when it finds none of its own, in order: for the
	// owner of a claimed session the contact's it came from, for that
	// contact the owner's (see postMessage). A key's answer is kept in its
	// caller's scope only, so a keyed post to one's own session reads and
	// writes one answer.
	also []answerOf
	// recheck, when set, is run if the post had to wait for its turn: the
	// session read before it may predate a claim, and another caller's post
	// of the key may have been stored meanwhile. It returns the scopes to
	// look in too.
	recheck func(context.Context) ([]answerOf, error)
	// replayOnly: the caller may complete what it sent before, not post a
	// new message (a contact's retry into a session claimed away from it).
	replayOnly bool
	// mine, when set, says whether the caller's own answer of the key
	// stands: one of a history erased since is as none.
	mine func(*store.Replay) bool
}

// answerOf names a caller's answers: their scope and caller.
type answerOf struct {
	scope  store.IdemScope
	caller string
}

// sharedCaller is the caller of the key's turns in a session (msgKey.turns),
// and of the answers the widget's posts to a session that was a contact's
// kept in the session's scope too, before they were kept in the caller's
// scope only (still looked for on sessions claimed before Owner.FromContact
// was kept); the org's server's there are "org:"+its org id.
const sharedCaller = "widget"

// holdTurn holds k like hold, and reports whether it had to wait for it.
func (a *API) holdTurn(ctx context.Context, k string) (unlock func(), waited bool, err error) {
	if a.locks.tryLock(k) {
		return func() { a.locks.unlock(k) }, false, nil
	}
	unlock, err = a.hold(ctx, k)
	return unlock, true, err
}

// addMessage stores a message in sess, honouring k's Idempotency-Key.
// limits, when given, are checked for a new message (not for a replay) and
// spent once it is stored.
func (a *API) addMessage(w httpx.ResponseWriter, r *httpx.Request, sess *identity.Session, k msgKey, body []byte, role identity.Role, content, author string, limits ...limitScope) error {
	ctx := r.Context()
	waited := false
	if k.key != "" {
		unlock, w1, err := a.holdTurn(ctx, idemHold(sess.OrgID, k.scope, k.caller, k.key))
		if err != nil {
			return err
		}
		defer unlock()
		waited = w1
		if k.turns {
			unlockShared, w2, err := a.holdTurn(ctx, idemHold(sess.OrgID, store.SessionScope(sess.ID), sharedCaller, k.key))
			if err != nil {
				return err
			}
			defer unlockShared()
			waited = waited || w2
		}
	}
	if waited && k.recheck != nil {
		also, err := k.recheck(ctx)
		if err != nil {
			return err
		}
		k.also = append(k.also, also...)
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
	done, err := a.replay(w, r, sess.OrgID, k.scope, k.caller, k.key, body, k.mine, complete)
	for _, o := range k.also {
		if done || err != nil || k.key == "" {
			break
		}
		// Another caller's answer, if it is of a post to this session.
		about := func(rep *store.Replay) bool { return rep.Message != nil && rep.Message.SessionID == sess.ID }
		done, err = a.replay(w, r, sess.OrgID, o.scope, o.caller, k.key, body, about, complete)
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
		if err := a.store.SaveReplay(ctx, sess.OrgID, k.scope, k.caller, k.key, rep); err != nil {
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
