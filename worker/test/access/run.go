package access

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/chatwidget/identity/worker/test/contract"
)

// Case is one row of the table: Rule and Name say what it shows; As acts
// (an actor of World, with the widget token of its org, or of Widget when
// set); exactly one check is set.
type Case struct {
	Rule   int
	Name   string
	As     string
	Widget string // the org whose widget token As sends; "" for As's own
	Server string // the org whose server acts (OrgLists, Session.Via "org")

	// Lists: As lists exactly these sessions; with no ExternalID, it
	// reads each, and every other session of the world is 404 not_found
	// to it, for reading and for writing.
	Lists *Listing
	// Hidden: these sessions are 404 not_found to As, for reading and
	// writing, and nothing is written.
	Hidden []string
	// Writes: As writes into this session and reads it back.
	Writes *Write
	// Refused: the request gets Status with one of Codes, and nothing
	// stored changes.
	Refused *Refusal
	// Me: what GET /v1/widget/me shows As, or (SignIn) what As's sign-in
	// answered.
	Me *Shown
	// Session: what a session records.
	Session *Recorded
	// OrgLists: what GET /v1/sessions of Server lists, exactly.
	OrgLists *OrgListing
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

// Shown is a contact or user as the widget sees it; nil fields are not
// checked. A contact is verified:false, a user verified:true, always.
type Shown struct {
	SignIn                bool   // the sign-in answer, not GET /v1/widget/me
	Kind                  string // "contact" or "user"
	Name                  *string
	ExternalID            *string
	CustomData            map[string]any
	NonVerifiedCustomData map[string]any
}

// Recorded is a session as one view shows it; nil fields are not checked.
// No view of a session has a custom_data field.
type Recorded struct {
	Session               string
	Via                   string // "": the creation answer; "org": GET /v1/sessions/{id}; "orglist": GET /v1/sessions
	Verified              bool
	ExternalID            *string // checked when set or NoExternalID
	NoExternalID          bool
	NonVerifiedCustomData map[string]any
}

type OrgListing struct {
	Filter contract.SessionFilter
	Want   []string
}

func ptr[T any](v T) *T { return &v }

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
	RunCases(t, c, adminToken, World, Cases(), opts...)
}

// RunCases is Run with another world and table.
func RunCases(t *testing.T, c *contract.Client, adminToken string, steps []Step, cases []Case, opts ...Option) {
	w := build(t, c, adminToken, steps)
	for _, o := range opts {
		o(w)
	}
	seen := map[string]bool{}
	for _, cs := range cases {
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

// client is As with its credentials: its token, the widget token of its
// org or of cs.Widget.
func (w *world) client(t *testing.T, cs Case) *contract.Client {
	t.Helper()
	a := w.actor(t, cs.As)
	o := a.org
	if cs.Widget != "" {
		o = cs.Widget
	}
	return w.widget(o, a.token)
}

func (w *world) ids(t *testing.T, names []string) []string {
	t.Helper()
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = w.session(t, n).id
	}
	return out
}

// names turns ids back into names, for messages.
func (w *world) names(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id
		for n, s := range w.sessions {
			if s.id == id {
				out[i] = n
			}
		}
	}
	sort.Strings(out)
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(a, b)
}

// listAll pages through a listing.
func listAll(t *testing.T, page func(cursor string) (contract.Call[contract.SessionList], error)) []contract.Session {
	t.Helper()
	var out []contract.Session
	cursor := ""
	for range 100 {
		r, err := page(cursor)
		ok(t, r.Response, err, 200)
		out = append(out, r.Value.Items...)
		if r.Value.NextCursor == nil || *r.Value.NextCursor == "" {
			return out
		}
		cursor = *r.Value.NextCursor
	}
	t.Fatal("more than 100 pages")
	return nil
}

func idsOf(ss []contract.Session) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.ID
	}
	return out
}

func (w *world) lists(t *testing.T, cs Case) {
	c := w.client(t, cs)
	got := idsOf(listAll(t, func(cursor string) (contract.Call[contract.SessionList], error) {
		return c.ListSessions(ctx, cs.Lists.ExternalID, contract.Page{Cursor: cursor, Limit: 100})
	}))
	want := w.ids(t, cs.Lists.Want)
	if !sameSet(got, want) {
		t.Errorf("%s lists %q, want %q", cs.As, w.names(got), w.names(want))
	}
	if cs.Lists.ExternalID != "" {
		return
	}
	for _, id := range want {
		r, err := c.GetSession(ctx, id, "")
		ok(t, r.Response, err, 200)
		if r.Value.Session.ID != id {
			t.Errorf("GET %s answered session %s", id, r.Value.Session.ID)
		}
	}
	var others []string
	for _, n := range w.order {
		if !slices.Contains(cs.Lists.Want, n) {
			others = append(others, n)
		}
	}
	w.hidden(t, cs, others)
}

func (w *world) hidden(t *testing.T, cs Case, names []string) {
	c := w.client(t, cs)
	defer w.unchanged(t)()
	for _, n := range names {
		id := w.session(t, n).id
		r, err := c.GetSession(ctx, id, "")
		refusedAs(t, r.Response, err, "reading "+n, 404, "not_found")
		m, err := c.PostUserMessage(ctx, id, "intruder")
		refusedAs(t, m.Response, err, "writing into "+n, 404, "not_found")
	}
}

func refusedAs(t *testing.T, r *contract.Response, err error, what string, status int, codes ...string) {
	t.Helper()
	check(t, r, err)
	if r.Status != status {
		t.Errorf("%s (%s): status %d, want %d %v: %s", what, r.What(), r.Status, status, codes, excerpt(r.Body))
		return
	}
	if r.Error == nil {
		t.Errorf("%s (%s): not the contract's error shape: %v", what, r.What(), r.ErrorErr)
		return
	}
	if !slices.Contains(codes, r.Error.Code) {
		t.Errorf("%s (%s): code %q, want one of %q", what, r.What(), r.Error.Code, codes)
	}
	errorShape(t, r)
}

// errorShape checks what ParseError does not: the Content-Type, that the
// body is exactly {"error": {"code", "message"}}, and that the message is
// a sentence that shows no internals.
func errorShape(t *testing.T, r *contract.Response) {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type %q", r.What(), ct)
	}
	var shape map[string]map[string]any
	if err := json.Unmarshal(r.Body, &shape); err != nil || len(shape) != 1 || len(shape["error"]) != 2 {
		t.Errorf("%s: error body is not exactly {\"error\": {code, message}}: %s", r.What(), r.Body)
		return
	}
	msg := r.Error.Message
	if msg == "" || strings.Contains(msg, "goroutine") || strings.Contains(msg, ".go:") {
		t.Errorf("%s: message %q", r.What(), msg)
	}
}

// stored is what both orgs store of their sessions: ids, updated_at and
// last messages; any new session or message changes it.
func (w *world) stored(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, o := range []string{"A", "B"} {
		ss := listAll(t, func(cursor string) (contract.Call[contract.SessionList], error) {
			return w.server(o).ListOrgSessions(ctx, contract.SessionFilter{}, contract.Page{Cursor: cursor, Limit: 100})
		})
		sort.Slice(ss, func(i, j int) bool { return ss[i].ID < ss[j].ID })
		for _, s := range ss {
			last := ""
			if s.LastMessage != nil {
				last = s.LastMessage.ID
			}
			fmt.Fprintf(&b, "%s:%s/%s/%s ", o, s.ID, s.UpdatedAt, last)
		}
	}
	return b.String()
}

func (w *world) writes(t *testing.T, cs Case) {
	c := w.client(t, cs)
	id := w.session(t, cs.Writes.Session).id
	content := "from " + cs.As + " " + uniq()
	m, err := c.PostUserMessage(ctx, id, content)
	ok(t, m.Response, err, 201)
	r, err := c.GetSession(ctx, id, "")
	ok(t, r.Response, err, 200)
	msgs := r.Value.Messages
	if len(msgs) == 0 || msgs[len(msgs)-1].Content != content || msgs[len(msgs)-1].Role != "user" {
		t.Errorf("%s reads %s without its message: %+v", cs.As, cs.Writes.Session, msgs)
	}
	if n := cs.Writes.Messages; n != 0 && len(msgs) != n {
		t.Errorf("%s has %d messages, want %d", cs.Writes.Session, len(msgs), n)
	}
}

var placeholder = regexp.MustCompile(`\{([^}]+)\}`)

func (w *world) refused(t *testing.T, cs Case) {
	rf := cs.Refused
	a := w.actor(t, cs.As)
	o := a.org
	if cs.Widget != "" {
		o = cs.Widget
	}
	var c *contract.Client
	switch rf.Creds {
	case AsActor:
		c = w.client(t, cs)
	case WidgetOnly:
		c = w.widget(o, "")
	case WidgetAsBearer:
		c = w.c.With(contract.Bearer(w.orgs[o].Org.WidgetToken), contract.Origin(w.orgs[o].origin))
	case TokenOnly:
		c = w.c.With(contract.Bearer(a.token))
	}
	path := placeholder.ReplaceAllStringFunc(rf.Path, func(m string) string { return w.session(t, m[1:len(m)-1]).id })
	done := w.unchanged(t)
	r, err := c.Do(ctx, rf.Method, path, rf.Body)
	refusedAs(t, r, err, cs.As, rf.Status, rf.Codes...)
	done()
}

// unchanged takes what is stored and returns a func that fails the test
// when that has changed since.
func (w *world) unchanged(t *testing.T) func() {
	t.Helper()
	before := w.stored(t)
	var kv map[string]string
	if w.storage != nil {
		kv = w.storage()
	}
	return func() {
		t.Helper()
		if after := w.stored(t); after != before {
			t.Errorf("stored sessions changed:\nbefore %s\nafter  %s", before, after)
		}
		if w.storage == nil {
			return
		}
		after := w.storage()
		var diff []string
		for k, v := range after {
			if old, had := kv[k]; !had || old != v {
				diff = append(diff, k)
			}
		}
		for k := range kv {
			if _, has := after[k]; !has {
				diff = append(diff, "-"+k)
			}
		}
		if len(diff) > 0 {
			sort.Strings(diff)
			t.Errorf("a refused request changed stored keys: %q", diff)
		}
	}
}

func (w *world) me(t *testing.T, cs Case) {
	want := cs.Me
	var raw json.RawMessage
	if want.SignIn {
		raw = w.actor(t, cs.As).signIn
	} else {
		r, err := w.client(t, cs).GetMe(ctx)
		ok(t, r.Response, err, 200)
		var me map[string]json.RawMessage
		if err := json.Unmarshal(r.Body, &me); err != nil {
			t.Fatal(err)
		}
		other := map[string]string{"contact": "user", "user": "contact"}[want.Kind]
		if v, has := me[other]; has && string(v) != "null" {
			t.Errorf("me of %s has a %s: %s", cs.As, other, r.Body)
		}
		raw = me[want.Kind]
	}
	var got struct {
		Name                  *string        `json:"name"`
		ExternalID            *string        `json:"external_id"`
		CustomData            map[string]any `json:"custom_data"`
		NonVerifiedCustomData map[string]any `json:"non_verified_custom_data"`
		Verified              *bool          `json:"verified"`
	}
	if len(raw) == 0 || string(raw) == "null" || json.Unmarshal(raw, &got) != nil {
		t.Fatalf("%s is not shown as a %s: %s", cs.As, want.Kind, raw)
	}
	if got.Verified == nil || *got.Verified != (want.Kind == "user") {
		t.Errorf("%s: verified %v, want %v", cs.As, got.Verified, want.Kind == "user")
	}
	if want.Kind == "contact" && hasKey(raw, "custom_data") {
		t.Errorf("a contact has verified custom_data: %s", raw)
	}
	if want.Name != nil && (got.Name == nil || *got.Name != *want.Name) {
		t.Errorf("%s: name %v, want %q", cs.As, got.Name, *want.Name)
	}
	if want.ExternalID != nil && (got.ExternalID == nil || *got.ExternalID != *want.ExternalID) {
		t.Errorf("%s: external_id %v, want %q", cs.As, got.ExternalID, *want.ExternalID)
	}
	if want.CustomData != nil && !reflect.DeepEqual(got.CustomData, want.CustomData) {
		t.Errorf("%s: custom_data %v, want %v", cs.As, got.CustomData, want.CustomData)
	}
	if want.NonVerifiedCustomData != nil && !reflect.DeepEqual(got.NonVerifiedCustomData, want.NonVerifiedCustomData) {
		t.Errorf("%s: non_verified_custom_data %v, want %v", cs.As, got.NonVerifiedCustomData, want.NonVerifiedCustomData)
	}
}

func hasKey(raw json.RawMessage, key string) bool {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(raw, &m)
	_, has := m[key]
	return has
}

func (w *world) recorded(t *testing.T, cs Case) {
	want := cs.Session
	s := w.session(t, want.Session)
	var raw json.RawMessage
	switch want.Via {
	case "":
		var created struct {
			Session json.RawMessage `json:"session"`
		}
		if err := json.Unmarshal(s.created, &created); err != nil {
			t.Fatal(err)
		}
		raw = created.Session
	case "org":
		r, err := w.server(s.org).GetOrgSession(ctx, s.id)
		ok(t, r.Response, err, 200)
		var d struct {
			Session json.RawMessage `json:"session"`
		}
		if err := json.Unmarshal(r.Body, &d); err != nil {
			t.Fatal(err)
		}
		raw = d.Session
	case "orglist":
		for _, x := range listAll(t, func(cursor string) (contract.Call[contract.SessionList], error) {
			return w.server(s.org).ListOrgSessions(ctx, contract.SessionFilter{}, contract.Page{Cursor: cursor, Limit: 100})
		}) {
			if x.ID == s.id {
				raw, _ = json.Marshal(x)
			}
		}
		if raw == nil {
			t.Fatalf("GET /v1/sessions does not list %s", want.Session)
		}
	default:
		t.Fatalf("no view %q", want.Via)
	}
	if hasKey(raw, "custom_data") {
		t.Errorf("a session has verified custom_data: %s", raw)
	}
	var got contract.Session
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if got.Verified == nil || *got.Verified != want.Verified {
		t.Errorf("%s: verified %v, want %v: %s", want.Session, got.Verified, want.Verified, raw)
	}
	switch {
	case want.NoExternalID && got.ExternalID != nil:
		t.Errorf("%s: external_id %q, want null", want.Session, *got.ExternalID)
	case want.ExternalID != nil && (got.ExternalID == nil || *got.ExternalID != *want.ExternalID):
		t.Errorf("%s: external_id %v, want %q", want.Session, got.ExternalID, *want.ExternalID)
	}
	if want.NonVerifiedCustomData != nil && !reflect.DeepEqual(got.NonVerifiedCustomData, want.NonVerifiedCustomData) {
		t.Errorf("%s: non_verified_custom_data %v, want %v", want.Session, got.NonVerifiedCustomData, want.NonVerifiedCustomData)
	}
}

func (w *world) orgLists(t *testing.T, cs Case) {
	l := cs.OrgLists
	got := idsOf(listAll(t, func(cursor string) (contract.Call[contract.SessionList], error) {
		return w.server(cs.Server).ListOrgSessions(ctx, l.Filter, contract.Page{Cursor: cursor, Limit: 100})
	}))
	want := w.ids(t, l.Want)
	if !sameSet(got, want) {
		t.Errorf("GET /v1/sessions %+v lists %q, want %q", l.Filter, w.names(got), w.names(want))
	}
}
