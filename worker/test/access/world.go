package access

import (
	"testing"

	"github.com/chatwidget/identity/worker/test/contract"
)

// Step is one thing the world does, in order (contract.Step): a contact
// or a verified user signed in, a session made, a message written.
type Step = contract.Step

// Browser data: what a page sends, never verified.
var (
	serverData  = map[string]any{"plan": "pro", "seats": float64(5), "admin": false}
	browserData = map[string]any{"plan": "enterprise", "admin": true}
)

// World is the world every case speaks of.
var World = []Step{
	// Org A's devices. Two with the same name and email: a claim binds nothing.
	{Name: "pat1", Org: "A", Contact: map[string]any{"device_id": "dev1", "name": "Pat", "email": "pat@x.com"}},
	{Name: "pat2", Org: "A", Contact: map[string]any{"device_id": "dev2", "name": "Pat", "email": "pat@x.com"}},
	{Name: "pat1.a", By: "pat1", Session: contract.SessionRequest{}},
	{Name: "pat1.b", By: "pat1", Session: contract.SessionRequest{}},
	{Name: "pat2.a", By: "pat2", Session: contract.SessionRequest{}},
	{Name: "pat1.a", By: "pat1", Say: "device one"},
	{Name: "pat2.a", By: "pat2", Say: "device two"},
	// The same device in another org.
	{Name: "b.pat1", Org: "B", Contact: map[string]any{"device_id": "dev1"}},
	{Name: "b.pat1.a", By: "b.pat1", Session: contract.SessionRequest{}},

	// Verified users of A: by email (signed in twice, the second time
	// from another device with the email cased differently, below), by
	// user_id with the same email, by a user_id that is an email.
	{Name: "ann", Org: "A", Auth: &contract.AuthenticateRequest{Email: "ann@example.com", Name: "Ann", CustomData: serverData}},
	{Name: "ann.laptop", By: "ann", Session: contract.SessionRequest{}},
	{Name: "bob", Org: "A", Auth: &contract.AuthenticateRequest{Email: "bob@example.com"}},
	{Name: "bob.a", By: "bob", Session: contract.SessionRequest{}},
	{Name: "u-ann", Org: "A", Auth: &contract.AuthenticateRequest{UserID: "u-ann", Email: "ann@example.com"}},
	{Name: "u-ann.a", By: "u-ann", Session: contract.SessionRequest{}},
	{Name: "ann-as-uid", Org: "A", Auth: &contract.AuthenticateRequest{UserID: "ann@example.com"}},
	{Name: "ann-as-uid.a", By: "ann-as-uid", Session: contract.SessionRequest{}},

	// Contacts claiming ann's email, in any case, and one that sends every
	// field a browser should not be able to set.
	{Name: "claimer", Org: "A", Contact: map[string]any{"device_id": "dev3", "email": "ann@example.com", "name": "Ann"}},
	{Name: "claimer.a", By: "claimer", Session: contract.SessionRequest{}},
	{Name: "CLAIMER", Org: "A", Contact: map[string]any{"device_id": "dev4", "email": "ANN@EXAMPLE.COM", "name": "Ann"}},
	{Name: "impostor", Org: "A", Contact: map[string]any{"device_id": "dev5", "email": "ann@example.com", "name": "Fake Name",
		"custom_data": browserData, "verified": true, "user_id": "ann"}},
	{Name: "impostor.a", By: "impostor", Session: map[string]any{"custom_data": browserData, "verified": true, "user_id": "ann"}},
	// ann's page sends its own data, also through fields that do not exist
	// for the browser.
	{Name: "ann.browser", By: "ann", Session: map[string]any{"custom_data": browserData, "verified": false,
		"user": map[string]any{"custom_data": map[string]any{"plan": "y"}}, "verified_custom_data": map[string]any{"plan": "z"}}},
	// The server signs ann in again, without custom data: it keeps hers.
	{Name: "ann.phone", Org: "A", Auth: &contract.AuthenticateRequest{Email: "ANN@Example.com", Name: "Ann"}},
	{Name: "ann.phone.a", By: "ann.phone", Session: contract.SessionRequest{}},

	// One identity by user_id on two devices (two tokens), and another
	// user_id with the same email.
	{Name: "roam1", Org: "A", Auth: &contract.AuthenticateRequest{UserID: "u-roam", Email: "roam@x.com"}},
	{Name: "roam1.a", By: "roam1", Session: contract.SessionRequest{}},
	{Name: "roam1.a", By: "roam1", Say: "from the laptop"},
	{Name: "roam2", Org: "A", Auth: &contract.AuthenticateRequest{UserID: "u-roam", Email: "roam@x.com"}},
	{Name: "roam2.a", By: "roam2", Session: contract.SessionRequest{}},
	{Name: "roam-other", Org: "A", Auth: &contract.AuthenticateRequest{UserID: "u-roam-other", Email: "roam@x.com"}},

	// External ids: one identity, with and without a signed external id.
	{Name: "u1", Org: "A", Auth: &contract.AuthenticateRequest{UserID: "u-1"}},
	{Name: "u1@ws-1", Org: "A", Auth: &contract.AuthenticateRequest{UserID: "u-1", ExternalID: "ws-1"}},
	{Name: "u1.plain", By: "u1", Session: contract.SessionRequest{}},
	{Name: "u1.ws-9", By: "u1", Session: contract.SessionRequest{ExternalID: "ws-9"}},
	{Name: "u1.ws-1", By: "u1", Session: contract.SessionRequest{ExternalID: "ws-1"}},
	{Name: "bound.made", By: "u1@ws-1", Session: contract.SessionRequest{}},
	{Name: "bound.same", By: "u1@ws-1", Session: contract.SessionRequest{ExternalID: "ws-1"}},
	// An empty external_id: the document's minLength 1 refuses it, the
	// worker takes it as none, and the bound token's applies.
	{Name: "bound.empty", By: "u1@ws-1", Session: map[string]any{"external_id": ""}},
	// A contact scopes by external id the same way.
	{Name: "wsdev", Org: "A", Contact: map[string]any{"device_id": "dev6"}},
	{Name: "wsdev.ws-1", By: "wsdev", Session: contract.SessionRequest{ExternalID: "ws-1"}},
	{Name: "wsdev.ws-2", By: "wsdev", Session: contract.SessionRequest{ExternalID: "ws-2"}},
	{Name: "wsdev.none", By: "wsdev", Session: contract.SessionRequest{}},

	// A new contact token for a device that has sessions (a reload, a new name).
	{Name: "pat1.again", Org: "A", Contact: map[string]any{"device_id": "dev1", "name": "Ann"}},

	// Org B: the same people.
	{Name: "b.ann", Org: "B", Auth: &contract.AuthenticateRequest{Email: "ann@example.com"}},
	{Name: "b.ann.a", By: "b.ann", Session: contract.SessionRequest{}},
	{Name: "b.u1", Org: "B", Auth: &contract.AuthenticateRequest{UserID: "u-1"}},
	{Name: "b.u1.a", By: "b.u1", Session: contract.SessionRequest{}},
}

// world is World, built, with what Run's options add.
type world struct {
	*contract.World
	c       *contract.Client
	storage func() map[string]string
}

func (w *world) actor(t *testing.T, n string) *contract.Actor {
	t.Helper()
	return find(t, w.Actors, n)
}
func (w *world) session(t *testing.T, n string) *contract.WorldSession {
	t.Helper()
	return find(t, w.Sessions, n)
}

func find[T any](t *testing.T, m map[string]*T, name string) *T {
	t.Helper()
	if m[name] == nil {
		t.Fatalf("no %T %q in the world", m[name], name)
	}
	return m[name]
}

// ok fails unless the call was sent, keeps the rules of every answer
// (contract.Check) and got status want.
func ok(t *testing.T, r *contract.Response, err error, want int) {
	t.Helper()
	contract.Check(t, r, err)
	if r.Status != want {
		t.Fatalf("%s: status %d, want %d\n%s", r.What(), r.Status, want, contract.Excerpt(r))
	}
}
