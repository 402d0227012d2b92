package widget

import (
	"context"
	"errors"

	"github.com/chatwidget/identity/internal/identity"
)

// Forget erases what this device's contact stored (DELETE /v1/widget/me,
// with the contact token, renewed from the device id when it expired), then
// does what Logout does. A device that never chatted has nothing to erase;
// a contact already erased (token_revoked) is done. On any other error
// nothing is forgotten locally, so that the visitor can try again.
func (w *Widget) Forget(ctx context.Context) error {
	w.mu.Lock()
	c := w.loadContactLocked()
	dev, hasDevice := w.st.Get(StorageKey(w.cfg.Token, keyDevice))
	w.mu.Unlock()
	tok := ""
	switch {
	case c.usable(w.now()):
		tok = c.Token
	case hasDevice && identity.ValidDeviceID(dev):
		ans, err := w.client.CreateContact(ctx, ContactRequest{DeviceID: dev})
		if err != nil {
			return err
		}
		tok = ans.Token
	}
	if tok != "" {
		if err := w.client.ForgetMe(ctx, tok); err != nil && !errors.Is(err, identity.ErrTokenRevoked) {
			return err
		}
	}
	w.Logout()
	return nil
}
