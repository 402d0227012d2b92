package access

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"testing"

	"github.com/chatwidget/identity/worker/test/contract"
	"github.com/google/uuid"
)

// Case is one row of the table: Rule and Name say what it shows; As acts
// (an actor of World, with the widget token of its org, or of Widget when
// set); exactly one check is set.
type Case struct {
	Rule           int
	Name, As       string
	Widget, Server string // the org whose widget token As sends ("": As's own); whose server lists (OrgLists)

	// Lists: As lists exactly these sessions; with no ExternalID, it reads
	// each, and every other session of the world is 404 not_found to it,
	// for reading and for writing.
	Lists    *Listing
	Hidden   []string    // 404 not_found to As, for reading and writing, and nothing is written
	Writes   *Write      // As writes into this session and reads it back
	Refused  *Refusal    // the request gets Status with one of Codes, and nothing stored changes
	Me       *Shown      // what GET /v1/widget/me shows As, or (SignIn) what As's sign-in answered
	Session  *Recorded   // what a session records
	OrgLists *OrgListing // what GET /v1/sessions of Server lists, exactly
}

type Listing struct {
	ExternalID string
	Want       []string
}

type Write struct {
	Session  string
	Messages int // how many the session then has; 0: not checked
}

// Creds are the credentials of a refused request.
type Creds int

const (
	AsActor        Creds = iota // X-Widget-Token, and Bearer As's token
	WidgetOnly                  // X-Widget-Token alone
	WidgetAsBearer              // Bearer <widget token>
	TokenOnly                   // Bearer As's token alone
)

type Refusal struct {
	Method, Path string // {name} in Path is that session's id
	Body         any
	Creds        Creds
	Status       int
	Codes        []string
}

// Shown is a contact or user as the widget sees it: the fields of Want
// (contract.Match). A contact is verified:false without a custom_data
// field, a user verified:true, always.
type Shown struct {
	SignIn bool   // the sign-in answer, not GET /v1/widget/me
	Kind   string // "contact" or "user"
	Want   contract.M
}

// Recorded is a session as one view shows it: verified or not, and the
// fields of Want. No view of a session has a custom_data field.
type Recorded struct {
	Session  string
	Via      string // "": the creation answer; "org": GET /v1/sessions/{id}; "orglist": GET /v1/sessions
	Verified bool
	Want     contract.M
}

type OrgListing struct {
	Filter contract.SessionFilter
	Want   []string
}

type M = contract.M

// Option changes how Run checks.
type Option func(*world)

// Storage gives Run the whole of what the worker stores (a layer that can
// see it: kv.Memory's Snapshot in process), so that a refusal is checked to
// change nothing at all, not only no session nor message.
func Storage(snapshot func() map[string]string) Option {
	return func(w *world) { w.storage = snapshot }
}

// Run builds World through c (a client of the worker without credentials;
// adminToken is the vendor's) and checks every case of Cases, each as a
// subtest rule<N>/<name>.
func Run(t *testing.T, c *contract.Client, adminToken string, opts ...Option) {
	built, err := contract.BuildWorld(ctx, c, adminToken, "access", World)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{World: built, c: c}
	for _, o := range opts {
		o(w)
	}
	seen := map[string]bool{}
	for _, cs := range Cases() {
		name := fmt.Sprintf("rule%d/%s", cs.Rule, cs.Name)
		if seen[name] {
			t.Fatalf("two cases named %s", name)
		}
		seen[name] = true
		t.Run(name, func(t *testing.T) { w.run(t, cs) })
	}
}

var ctx = context.Background()

func (w *world) run(t *testing.T, cs Case) {
	switch {
	case cs.Lists != nil:
		w.lists(t, cs)
	case cs.Hidden != nil:
		w.hidden(t, cs, cs.Hidden)
	case cs.Writes != nil:
		w.writes(t, cs)
	case cs.Refused != nil:
		w.refused(t, cs)
	case cs.Me != nil:
		w.me(t, cs)
	case cs.Session != nil:
		w.recorded(t, cs)
	case cs.OrgLists != nil:
		w.orgLists(t, cs)
	default:
		t.Fatal("the case checks nothing")
	}
}

// client is As with its token and the widget token of its org or of
// cs.Widget; also returned: As and that org.
func (w *world) client(t *testing.T, cs Case) (*contract.Client, *contract.Actor, string) {
	t.Helper()
	a := w.actor(t, cs.As)
	o := cmp.Or(cs.Widget, a.Org)
	return w.Widget(o, a.Token), a, o
}

// listAll pages through a listing.
func listAll(t *testing.T, page func(cursor string) (contract.Call[contract.SessionList], error)) []contract.Session {
	t.Helper()
	var out []contract.Session
	if err := contract.Pages(100, func(cursor string) (*string, error) {
		r, err := page(cursor)
		ok(t, r.Response, err, 200)
		out = append(out, r.Value.Items...)
		return r.Value.NextCursor, nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// orgSessions is every session GET /v1/sessions of org o lists with f.
func (w *world) orgSessions(t *testing.T, o string, f contract.SessionFilter) []contract.Session {
	t.Helper()
	return listAll(t, func(cursor string) (contract.Call[contract.SessionList], error) {
		return w.Server(o).ListOrgSessions(ctx, f, contract.Page{Cursor: cursor, Limit: 100})
	})
}

// sameSessions fails unless got lists exactly the sessions named want.
func (w *world) sameSessions(t *testing.T, what string, got []contract.Session, want []string) {
	t.Helper()
	name := map[string]string{}
	for n, s := range w.Sessions {
		name[s.ID] = n
	}
	g, wn := []string{}, []string{}
	for _, s := range got {
		g = append(g, cmp.Or(name[s.ID], s.ID))
	}
	for _, n := range want {
		wn = append(wn, name[w.session(t, n).ID])
	}
	slices.Sort(g)
	slices.Sort(wn)
	contract.Expect(t, what+" lists", g, wn)
}

func (w *world) lists(t *testing.T, cs Case) {
	c, _, _ := w.client(t, cs)
	w.sameSessions(t, cs.As, listAll(t, func(cursor string) (contract.Call[contract.SessionList], error) {
		return c.ListSessions(ctx, cs.Lists.ExternalID, contract.Page{Cursor: cursor, Limit: 100})
	}), cs.Lists.Want)
	if cs.Lists.ExternalID != "" {
		return
	}
	for _, n := range cs.Lists.Want {
		id := w.session(t, n).ID
		r, err := c.GetSession(ctx, id, "")
		ok(t, r.Response, err, 200)
		if r.Value.Session.ID != id {
			t.Errorf("GET %s answered session %s", id, r.Value.Session.ID)
		}
	}
	w.hidden(t, cs, slices.DeleteFunc(slices.Clone(w.Order), func(n string) bool { return slices.Contains(cs.Lists.Want, n) }))
}

func (w *world) hidden(t *testing.T, cs Case, names []string) {
	c, _, _ := w.client(t, cs)
	defer w.unchanged(t)()
	for _, n := range names {
		id := w.session(t, n).ID
		r, err := c.GetSession(ctx, id, "")
		refusedAs(t, r.Response, err, "reading "+n, 404, "not_found")
		m, err := c.PostUserMessage(ctx, id, "intruder")
		refusedAs(t, m.Response, err, "writing into "+n, 404, "not_found")
	}
}

// refusedAs fails unless r is status with one of codes, in the contract's
// error shape (contract.ErrorProblems).
func refusedAs(t *testing.T, r *contract.Response, err error, what string, status int, codes ...string) {
	t.Helper()
	contract.Check(t, r, err)
	if r.Status != status {
		t.Errorf("%s (%s): status %d, want %d %v: %s", what, r.What(), r.Status, status, codes, contract.Excerpt(r))
		return
	}
	if r.Error != nil && !slices.Contains(codes, r.Error.Code) {
		t.Errorf("%s (%s): code %q, want one of %q", what, r.What(), r.Error.Code, codes)
	}
	for _, p := range contract.ErrorProblems(r) {
		t.Errorf("%s (%s): %s", what, r.What(), p)
	}
}

// stored is what both orgs store of their sessions, by id: updated_at and
// the last message; any new session or message changes it.
func (w *world) stored(t *testing.T) map[string]any {
	t.Helper()
	out := map[string]any{}
	for _, o := range []string{"A", "B"} {
		for _, s := range w.orgSessions(t, o, contract.SessionFilter{}) {
			out[o+":"+s.ID] = []any{s.UpdatedAt, s.LastMessage}
		}
	}
	return out
}

func (w *world) writes(t *testing.T, cs Case) {
	c, _, _ := w.client(t, cs)
	id := w.session(t, cs.Writes.Session).ID
	content := "from " + cs.As + " " + uuid.NewString()[:8]
	m, err := c.PostUserMessage(ctx, id, content)
	ok(t, m.Response, err, 201)
	r, err := c.GetSession(ctx, id, "")
	ok(t, r.Response, err, 200)
	msgs := r.Value.Messages
	if n := cs.Writes.Messages; n != 0 {
		contract.Expect(t, cs.Writes.Session+": messages", len(msgs), n)
	}
	if len(msgs) == 0 {
		t.Fatalf("%s reads %s without its message", cs.As, cs.Writes.Session)
	}
	contract.Expect(t, cs.As+" reads "+cs.Writes.Session+": the last message", msgs[len(msgs)-1], M{"content": content, "role": "user"})
}

var placeholder = regexp.MustCompile(`\{([^}]+)\}`)

func (w *world) refused(t *testing.T, cs Case) {
	rf := cs.Refused
	c, a, o := w.client(t, cs)
	switch rf.Creds {
	case WidgetOnly:
		c = w.Widget(o, "")
	case WidgetAsBearer:
		c = w.c.With(contract.Bearer(w.Orgs[o].Org.WidgetToken), contract.Origin(w.Orgs[o].Origin))
	case TokenOnly:
		c = w.c.With(contract.Bearer(a.Token))
	}
	path := placeholder.ReplaceAllStringFunc(rf.Path, func(m string) string { return w.session(t, m[1:len(m)-1]).ID })
	done := w.unchanged(t)
	r, err := c.Do(ctx, rf.Method, path, rf.Body)
	refusedAs(t, r, err, cs.As, rf.Status, rf.Codes...)
	done()
}

// unchanged takes what is stored and returns a func that fails the test
// when that has changed since.
func (w *world) unchanged(t *testing.T) func() {
	t.Helper()
	before, kv := w.stored(t), map[string]string(nil)
	if w.storage != nil {
		kv = w.storage()
	}
	return func() {
		t.Helper()
		contract.Expect(t, "stored sessions changed", w.stored(t), before)
		if w.storage == nil {
			return
		}
		contract.Expect(t, "a refused request changed the stored keys", w.storage(), kv)
	}
}

func (w *world) me(t *testing.T, cs Case) {
	want := M{}
	maps.Copy(want, cs.Me.Want)
	want["verified"] = cs.Me.Kind == "user"
	if cs.Me.Kind == "contact" {
		want["custom_data"] = contract.Absent
	}
	if !cs.Me.SignIn {
		c, _, _ := w.client(t, cs)
		r, err := c.GetMe(ctx)
		ok(t, r.Response, err, 200)
		other := map[string]string{"contact": "user", "user": "contact"}[cs.Me.Kind]
		want = M{cs.Me.Kind: want, other: nil}
		expect(t, "me of "+cs.As, r.Body, want)
		return
	}
	expect(t, cs.As+" as a "+cs.Me.Kind, w.actor(t, cs.As).SignIn, want)
}

// expect fails unless raw is a JSON object that matches want.
func expect(t *testing.T, who string, raw []byte, want M) {
	t.Helper()
	var got any
	if json.Unmarshal(raw, &got) != nil || got == nil {
		t.Fatalf("%s is not shown: %s", who, raw)
	}
	contract.Expect(t, who, got, want)
}

func (w *world) recorded(t *testing.T, cs Case) {
	rec := cs.Session
	s := w.session(t, rec.Session)
	var d struct {
		Session json.RawMessage `json:"session"`
	}
	switch rec.Via {
	case "", "org":
		body := s.Created
		if rec.Via == "org" {
			r, err := w.Server(s.Org).GetOrgSession(ctx, s.ID)
			ok(t, r.Response, err, 200)
			body = r.Body
		}
		if err := json.Unmarshal(body, &d); err != nil {
			t.Fatal(err)
		}
	case "orglist":
		for _, x := range w.orgSessions(t, s.Org, contract.SessionFilter{}) {
			if x.ID == s.ID {
				d.Session, _ = json.Marshal(x)
			}
		}
		if d.Session == nil {
			t.Fatalf("GET /v1/sessions does not list %s", rec.Session)
		}
	default:
		t.Fatalf("no view %q", rec.Via)
	}
	want := M{}
	maps.Copy(want, rec.Want)
	want["verified"], want["custom_data"] = rec.Verified, contract.Absent
	expect(t, rec.Session, d.Session, want)
}

func (w *world) orgLists(t *testing.T, cs Case) {
	l := cs.OrgLists
	w.sameSessions(t, fmt.Sprintf("GET /v1/sessions %+v", l.Filter), w.orgSessions(t, cs.Server, l.Filter), l.Want)
}
