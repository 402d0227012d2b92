package access

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"

	"github.com/chatwidget/identity/worker/test/contract"
	"github.com/google/uuid"
)

// Step is one thing the world does, in order. Name is the actor or the
// session it makes; exactly one of Contact, Auth, Session, Say is set.
type Step struct {
	Name string
	Org  string // "A" or "B"; for Session and Say, the actor's

	// Contact signs a device in (POST /v1/widget/contacts) with this body;
	// its "device_id" names a device of the world ("dev1"), given a fresh
	// UUID per run. Other keys are sent as they are (a browser may send
	// anything).
	Contact map[string]any
	// Auth is the org server's POST /v1/users/authenticate.
	Auth *contract.AuthenticateRequest

	By string // the actor of Session and Say
	// Session is POST /v1/widget/sessions by By with this body (a
	// contract.SessionRequest, or a map for what the type cannot send).
	Session any
	// Say is a message By writes into the session Name.
	Say string
}

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

// org is one org of a built world.
type org struct {
	contract.OrgCreated
	origin string
}

// actor is one party of a built world.
type actor struct {
	org, token string
	signIn     json.RawMessage // the sign-in answer's contact or user
}

// session is one session of a built world.
type session struct {
	id, org string
	created []byte // the creation answer's body
}

// world is World, built.
type world struct {
	c        *contract.Client
	orgs     map[string]*org
	actors   map[string]*actor
	sessions map[string]*session
	order    []string // session names, in creation order
	storage  func() map[string]string
}

// signedIn is a sign-in answer: the token, and the contact or user as sent.
type signedIn struct {
	Token   string          `json:"token"`
	Contact json.RawMessage `json:"contact"`
	User    json.RawMessage `json:"user"`
}

// build creates the orgs and runs the steps through c.
func build(t *testing.T, c *contract.Client, adminToken string, steps []Step) *world {
	t.Helper()
	w := &world{c: c, orgs: map[string]*org{}, actors: map[string]*actor{}, sessions: map[string]*session{}}
	run := uniq()
	for _, name := range []string{"A", "B"} {
		origin := "https://" + strings.ToLower(name) + "-" + run + ".example"
		r, err := c.With(contract.Bearer(adminToken)).CreateOrg(ctx, contract.CreateOrgRequest{Name: "Access " + name + " " + run, AllowedOrigins: []string{origin}})
		ok(t, r.Response, err, 201)
		w.orgs[name] = &org{OrgCreated: r.Value, origin: origin}
	}
	devices := map[string]string{}
	for _, s := range steps {
		var r *contract.Response
		var err error
		switch {
		case s.Contact != nil:
			body := maps.Clone(s.Contact)
			dev, _ := s.Contact["device_id"].(string)
			if devices[dev] == "" {
				devices[dev] = uuid.NewString()
			}
			body["device_id"] = devices[dev]
			r, err = w.widget(s.Org, "").Do(ctx, "POST", "/v1/widget/contacts", body)
			ok(t, r, err, 200)
		case s.Auth != nil:
			var call contract.Call[contract.Authenticated]
			call, err = w.server(s.Org).Authenticate(ctx, *s.Auth)
			r = call.Response
			ok(t, r, err, 200)
		case s.Session != nil:
			a := w.actor(t, s.By)
			r, err = w.widget(a.org, a.token).Do(ctx, "POST", "/v1/widget/sessions", s.Session)
			ok(t, r, err, 201)
			var created contract.SessionCreated
			if err := r.Decode(&created); err != nil || created.Session.ID == "" {
				t.Fatalf("step %s: %v %s", s.Name, err, r.Body)
			}
			if w.sessions[s.Name] != nil {
				t.Fatalf("step %s: two sessions of that name", s.Name)
			}
			w.sessions[s.Name] = &session{id: created.Session.ID, org: a.org, created: r.Body}
			w.order = append(w.order, s.Name)
			continue
		case s.Say != "":
			a := w.actor(t, s.By)
			r, err := w.widget(a.org, a.token).PostUserMessage(ctx, w.session(t, s.Name).id, s.Say)
			ok(t, r.Response, err, 201)
			continue
		default:
			t.Fatalf("step %q does nothing", s.Name)
		}
		var in signedIn
		if err := r.Decode(&in); err != nil || in.Token == "" {
			t.Fatalf("step %s: %v %s", s.Name, err, r.Body)
		}
		if s.Contact != nil {
			in.User = in.Contact
		}
		w.actors[s.Name] = &actor{org: s.Org, token: in.Token, signIn: in.User}
	}
	return w
}

// widget is a client of the widget of org o in a browser on its page, with
// userToken when it is not empty.
func (w *world) widget(o, userToken string) *contract.Client {
	org := w.orgs[o]
	c := w.c.With(contract.WidgetToken(org.Org.WidgetToken), contract.Origin(org.origin))
	if userToken != "" {
		c = c.With(contract.Bearer(userToken))
	}
	return c
}

// server is a client of org o's server (its api key).
func (w *world) server(o string) *contract.Client {
	return w.c.With(contract.Bearer(w.orgs[o].APIKey.Secret))
}

func (w *world) actor(t *testing.T, n string) *actor     { t.Helper(); return find(t, w.actors, n) }
func (w *world) session(t *testing.T, n string) *session { t.Helper(); return find(t, w.sessions, n) }

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

func uniq() string { return uuid.NewString()[:8] }
