package api

import (
	"testing"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/store"
)

// TestStartLiteralsAreWhatTheyWriteOut holds the package-level values written
// out as literals (so that TinyGo builds them at compile time rather than at
// every start of the worker) to the calls they replace.
func TestStartLiteralsAreWhatTheyWriteOut(t *testing.T) {
	if got, want := string(InternalErrorBody), string(errorJSON(identity.CodeInternal, identity.ErrInternal.Message)); got != want {
		t.Errorf("InternalErrorBody = %s, errorJSON gives %s", got, want)
	}
	if got, want := *errNoRoute, *identity.Errorf(identity.CodeNotFound, "No such route: see the API reference for the routes."); got != want {
		t.Errorf("errNoRoute = %+v, want %+v", got, want)
	}
	if got, want := *store.ErrBadCursor, *identity.Invalid("cursor", "is not a cursor this API returned."); got != want {
		t.Errorf("store.ErrBadCursor = %+v, want %+v", got, want)
	}
}
