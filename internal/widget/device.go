package widget

import (
	"io"
	"strings"

	"github.com/chatwidget/identity/internal/identity"
)

// DeviceID returns the device id kept in st for the org of widgetToken,
// making a new UUID v4 from rnd when there is none or what is stored is not a
// canonical UUID v4 (corrupted or edited). replaced reports that a new one
// was made.
func DeviceID(st Storage, widgetToken string, rnd io.Reader) (id string, replaced bool, err error) {
	key := StorageKey(widgetToken, keyDevice)
	if v, ok := st.Get(key); ok && identity.ValidDeviceID(v) {
		return v, false, nil
	}
	id, err = NewUUIDv4(rnd)
	if err != nil {
		return "", false, err
	}
	st.Set(key, id)
	return id, true, nil
}

// ForgetDevice removes everything the widget of widgetToken keeps in st: the
// device id, the contact token, the outbox and the marks of the verified
// users who answered the claim prompt (which name them by user_id or email).
// The next visitor gets a new device id, sees nothing of this one's chats and
// finds no trace of who used the browser. A Storage that cannot list its keys
// (KeyLister) keeps the claim marks.
func ForgetDevice(st Storage, widgetToken string) {
	for _, k := range []string{keyDevice, keyContact, keyOutbox} {
		st.Remove(StorageKey(widgetToken, k))
	}
	removePrefixed(st, StoragePrefix(widgetToken))
}

// ForgetAll is ForgetDevice for every org's widget in st: what
// ChatWidget.logout() does before any init, with no widget token to name
// the org by (the page may embed the widget of more than one). It reports
// whether it could: a Storage that cannot list its keys (KeyLister) keeps
// them all.
func ForgetAll(st Storage) bool { return removePrefixed(st, storageRoot) }

// removePrefixed removes every key of st that starts with prefix, and
// reports whether it could list them (KeyLister).
func removePrefixed(st Storage, prefix string) bool {
	l, ok := st.(KeyLister)
	if !ok {
		return false
	}
	for _, k := range l.Keys() {
		if strings.HasPrefix(k, prefix) {
			st.Remove(k)
		}
	}
	return true
}
