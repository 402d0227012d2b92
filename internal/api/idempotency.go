package api

import (
	"crypto/sha256"
	"encoding/hex"
	"github.com/chatwidget/identity/internal/httpx"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/jsonwrite"
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

// replay answers a retry from its saved first answer, completing what the
// first request may have left undone. ok is false when there is nothing to
// replay.
func (a *API) replay(w httpx.ResponseWriter, r *httpx.Request, orgID, caller, key string, body []byte, complete func(*store.Replay) error) (ok bool, err error) {
	if key == "" {
		return false, nil
	}
	rep, err := a.store.Replay(r.Context(), orgID, caller, key)
	if err != nil || rep == nil {
		return false, err
	}
	if rep.Fingerprint != fingerprint(r, body) {
		return true, identity.ErrIdempotencyConflict
	}
	if err := complete(rep); err != nil {
		return true, err
	}
	w.Header().Set("Idempotent-Replayed", "true")
	writeRaw(w, rep.Status, rep.Body)
	return true, nil
}

// addMessage stores a message in sess for caller, honouring idemKey.
// limits, when given, are checked for a new message (not for a replay) and
// spent once it is stored.
func (a *API) addMessage(w httpx.ResponseWriter, r *httpx.Request, sess *identity.Session, caller, idemKey string, body []byte, role identity.Role, content, author string, limits ...limitScope) error {
	ctx := r.Context()
	done, err := a.replay(w, r, sess.OrgID, caller, idemKey, body, func(rep *store.Replay) error {
		if rep.Message == nil || rep.Message.SessionID != sess.ID {
			return identity.ErrIdempotencyConflict
		}
		return a.store.EnsureMessage(ctx, sess, rep.Message)
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
	msg := a.store.PrepareMessage(sess, role, content, author)
	out, err := jsonwrite.Marshal(messageView{Message: msg})
	if err != nil {
		return err
	}
	if idemKey != "" {
		rep := &store.Replay{Fingerprint: fingerprint(r, body), Status: httpx.StatusCreated, Body: out, Message: msg}
		if err := a.store.SaveReplay(ctx, sess.OrgID, caller, idemKey, rep); err != nil {
			return err
		}
	}
	summaryErr, err := a.store.AddMessage(ctx, sess, msg)
	if err != nil {
		return err
	}
	if summaryErr != nil {
		a.log.Warn("session summary not updated; the message is stored", "session", sess.ID, "err", summaryErr.Error())
	}
	writeRaw(w, httpx.StatusCreated, out)
	return nil
}
