package widget

import (
	"context"
	"errors"
	"strings"

	"github.com/chatwidget/identity/internal/identity"
)

// bearer returns the user token to send: the verified token in verified
// mode, else the device's contact token, creating or renewing it when it is
// missing, expired, or is failed (the token a request was just refused with).
func (w *Widget) bearer(ctx context.Context, failed string) (string, error) {
	tok, _, err := w.bearerOf(ctx, failed)
	return tok, err
}

// bearerOf is bearer, with the owner (ownerOf) of the token it returns.
func (w *Widget) bearerOf(ctx context.Context, failed string) (tok, owner string, err error) {
	w.authMu.Lock()
	defer w.authMu.Unlock()
	w.mu.Lock()
	mode := w.mode
	w.mu.Unlock()
	if mode == ModeVerified {
		tok, err = w.verifiedToken(ctx, failed)
	} else {
		tok, err = w.contactToken(ctx, failed)
	}
	return tok, w.ownerOf(mode, tok), err
}

func (w *Widget) verifiedToken(ctx context.Context, failed string) (string, error) {
	w.mu.Lock()
	tok, get := w.userToken, w.getToken
	w.mu.Unlock()
	if tok != "" && tok != failed && (get == nil || tokenUsable(tok, w.now())) {
		return tok, nil
	}
	if get == nil {
		if tok == "" || tok == failed {
			return "", ErrNoUserToken
		}
		return tok, nil
	}
	gctx, cancel := context.WithTimeout(ctx, w.tokenTimeout)
	fresh, err := get(gctx)
	cancel()
	if err == nil && strings.TrimSpace(fresh) == "" {
		err = errors.New("it returned an empty string")
	}
	if err != nil {
		if ctx.Err() != nil { // the caller gave up: not getToken's fault
			return "", errors.Join(ErrNoUserToken, err)
		}
		if errors.Is(gctx.Err(), context.DeadlineExceeded) {
			err = errors.New("getToken did not answer within " + w.tokenTimeout.String())
		}
		err = &getTokenError{err: err}
		// The site's developer is told (the visitor is shown "sign in
		// again"); the next request asks getToken again.
		w.tell("ChatWidget: " + err.Error())
		return "", errors.Join(ErrNoUserToken, err)
	}
	fresh = strings.TrimSpace(fresh)
	w.mu.Lock()
	if w.mode == ModeVerified { // not logged out meanwhile
		w.userToken = fresh
	}
	w.mu.Unlock()
	return fresh, nil
}

// getTokenError is a failure of the page's getToken: a throw, a rejection,
// an answer that is no token, or none in time. errors.Is(err, ErrGetToken)
// matches it.
type getTokenError struct{ err error }

func (e *getTokenError) Error() string {
	m := e.err.Error()
	if !strings.HasPrefix(m, "getToken") {
		m = "getToken failed: " + m
	}
	return m + ". The widget has no verified user token until getToken returns one; it asks again at the next request."
}

func (e *getTokenError) Unwrap() error { return e.err }

// Is makes errors.Is(err, ErrGetToken) true.
func (e *getTokenError) Is(target error) bool { return target == ErrGetToken }

func (w *Widget) contactToken(ctx context.Context, failed string) (string, error) {
	w.mu.Lock()
	c := w.loadContactLocked()
	mode, pushed, ud := w.mode, w.pushed, w.userData
	w.mu.Unlock()
	if mode == ModeCollectUserData && (c == nil || c.Email == "") {
		return "", ErrNeedsUserData
	}
	if c.usable(w.now()) && c.Token != failed && (mode != ModeUserData || pushed) {
		return c.Token, nil
	}
	req := ContactRequest{}
	switch {
	case mode == ModeUserData:
		req.Name, req.Email, req.CustomData = ud.Name, ud.Email, userCustomData(ud)
	case c != nil:
		req.Name, req.Email = c.Name, c.Email
	}
	return w.createContact(ctx, req)
}

// createContact posts the device's contact with req's name, email and
// custom data, stores the token and returns it.
func (w *Widget) createContact(ctx context.Context, req ContactRequest) (string, error) {
	device, _, err := DeviceID(w.st, w.cfg.Token, w.rnd)
	if err != nil {
		return "", err
	}
	req.DeviceID = device
	ans, err := w.client.CreateContact(ctx, req)
	if err != nil {
		return "", err
	}
	c := &storedContact{DeviceID: device, Token: ans.Token, ContactID: ans.Contact.ID, Name: req.Name, Email: req.Email}
	if ans.Contact.Name != "" || ans.Contact.Email != "" {
		c.Name, c.Email = ans.Contact.Name, ans.Contact.Email
	}
	if exp, ok := tokenExpiry(ans.Token); ok {
		c.ExpiresAt = exp
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.mode == ModeVerified {
		return "", ErrNoUserToken // the mode changed meanwhile; cannot happen today
	}
	saveContact(w.st, w.cfg.Token, c)
	w.contact = c
	if w.mode == ModeUserData {
		w.pushed = true
	}
	return c.Token, nil
}

// userCustomData is user.data's customData, with avatarUrl under
// "avatar_url" (POST /v1/widget/contacts has no field for it) unless the page
// set that key itself or the result breaks the contract's limits.
func userCustomData(ud *UserData) map[string]any {
	if ud.AvatarURL == "" {
		return ud.CustomData
	}
	if _, taken := ud.CustomData["avatar_url"]; taken {
		return ud.CustomData
	}
	m := make(map[string]any, len(ud.CustomData)+1)
	for k, v := range ud.CustomData {
		m[k] = v
	}
	m["avatar_url"] = ud.AvatarURL
	if identity.CheckCustomData("custom_data", m) != nil {
		return ud.CustomData
	}
	return m
}

// loadContactLocked returns the stored contact of the current device, cached.
// w.mu must be held.
func (w *Widget) loadContactLocked() *storedContact {
	dev, ok := w.st.Get(StorageKey(w.cfg.Token, keyDevice))
	if !ok {
		w.contact = nil
		return nil
	}
	if w.contact != nil && w.contact.DeviceID == dev {
		return w.contact
	}
	w.contact = loadContact(w.st, w.cfg.Token, dev)
	return w.contact
}

// SubmitForm validates the collectUserData form and creates the device's
// contact with that name and email. A wrong field is a *FormError.
func (w *Widget) SubmitForm(ctx context.Context, name, email string) (Status, error) {
	p, err := ValidateForm(name, email)
	if err != nil {
		return w.Status(), err
	}
	w.authMu.Lock()
	_, err = w.createContact(ctx, ContactRequest{Name: p.Name, Email: p.Email})
	w.authMu.Unlock()
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.Code == identity.CodeInvalidEmail {
			return w.Status(), &FormError{Field: "email", Message: "Please enter a valid email address, such as name@example.com."}
		}
		return w.Status(), err
	}
	return w.Status(), nil
}

// authed runs fn with the user token, and once more with a renewed one when
// the worker refuses it with 401: a new contact token for the same device, or
// a fresh verified token from getToken.
func (w *Widget) authed(ctx context.Context, fn func(bearer string) error) error {
	return w.authedAs(ctx, "", 0, fn)
}

// errNotTheOwner: the credential the widget has now is another person's than
// the one who typed the message (getToken answered for another user, or the
// page logged out meanwhile). Not permanent: the message waits for its owner.
var errNotTheOwner = errors.New("widget: this message waits for the person who typed it")

// authedAs is authed for what owner (ownerOf; "" for anyone) did during
// the page's visit (Widget.visit): fn runs only with a token of owner, which
// a renewal may have replaced by another's, and not once the page has logged
// out since. Every contact of the device has one owner, so without the visit
// a send in flight at logout() or forget() that its token's refusal renewed
// (401: the contact just erased, or the token expired) created the next
// visitor's contact and put the message, a new chat's included, into their
// chats.
func (w *Widget) authedAs(ctx context.Context, owner string, visit int, fn func(bearer string) error) error {
	mine := func(who string) bool {
		if owner == "" {
			return true
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		return who == owner && w.visit == visit
	}
	tok, who, err := w.bearerOf(ctx, "")
	if err != nil {
		return err
	}
	if !mine(who) {
		return errNotTheOwner
	}
	err = fn(tok)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 401 {
		return err
	}
	if !mine(who) { // logged out meanwhile: no renewal for the next visitor
		return errNotTheOwner
	}
	fresh, who, rerr := w.bearerOf(ctx, tok)
	if rerr != nil {
		if errors.Is(rerr, ErrNoUserToken) {
			return err // the worker's own words: token_expired, token_revoked...
		}
		return rerr
	}
	if !mine(who) {
		return errNotTheOwner
	}
	return fn(fresh)
}
