package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"

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

// addMessage stores a message in sess for caller, honouring idemKey, whose
// first answer is kept in scope: the widget's principal's (so that a key is
// one request of that caller on any route), or the session's for the org's
// server (so that erasing the session's owner finds it).
// limits, when given, are checked for a new message (not for a replay) and
// spent once it is stored.
func (a *API) addMessage(w httpx.ResponseWriter, r *httpx.Request, sess *identity.Session, scope store.IdemScope, caller, idemKey string, body []byte, role identity.Role, content, author string, limits ...limitScope) error {
	ctx := r.Context()
	unlock, err := a.holdKey(ctx, sess.OrgID, scope, caller, idemKey)
	if err != nil {
		return err
	}
	defer unlock()
	done, err := a.replay(w, r, sess.OrgID, scope, caller, idemKey, body, func(rep *store.Replay) error {
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
	})
	if done {
		return err
	}
	if err != nil {
		return err
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
	if idemKey != "" {
		rep := &store.Replay{Fingerprint: fingerprint(r, body), Status: httpx.StatusCreated, Body: out, Message: msg}
		if err := a.store.SaveReplay(ctx, sess.OrgID, scope, caller, idemKey, rep); err != nil {
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
