//go:build !js

package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatwidget/identity/worker/test/contract"
	"github.com/google/uuid"
)

// caller sends requests as one party, through the contract client that
// checks them and their answers against the OpenAPI document; its options go
// on every request.
type caller struct{ c *contract.Client }

// anon is a caller of the shared server without credentials; vendor calls
// it with the admin token.
func anon(t testing.TB) *caller {
	t.Helper()
	return &caller{c: contract.Validated(server(t).URL)}
}

func vendor(t testing.TB) *caller {
	t.Helper()
	return anon(t).with(contract.Bearer(server(t).AdminToken))
}

func (c *caller) with(opts ...contract.Option) *caller { return &caller{c: c.c.With(opts...)} }

func (c *caller) get(t testing.TB, path string, opts ...contract.Option) *reply {
	t.Helper()
	return c.do(t, "GET", path, nil, opts...)
}

func (c *caller) post(t testing.TB, path string, body any, opts ...contract.Option) *reply {
	t.Helper()
	return c.do(t, "POST", path, body, opts...)
}

// do sends one request. body is nil (none), contract.Raw, contract.Stream,
// or a value marshalled to JSON.
func (c *caller) do(t testing.TB, method, path string, body any, opts ...contract.Option) *reply {
	t.Helper()
	res, err := c.c.Do(t.Context(), method, path, body, opts...)
	return check(t, res, err)
}

// check turns an answer into a reply, checking the rules that hold for all
// answers (contract.Check).
func check(t testing.TB, res *contract.Response, err error) *reply {
	t.Helper()
	contract.Check(t, res, err)
	return &reply{t: t, Response: res}
}

type reply struct {
	t testing.TB
	*contract.Response
}

func (r *reply) excerpt() string { return contract.Excerpt(r.Response) }

// expect fails the test unless the status is want; it returns r for chaining.
func (r *reply) expect(want int) *reply {
	r.t.Helper()
	if r.Status != want {
		r.t.Fatalf("%s: status %d, want %d\n%s", r.What(), r.Status, want, r.excerpt())
	}
	return r
}

// into decodes the JSON body into v (and checks the Content-Type).
func (r *reply) into(v any) *reply {
	r.t.Helper()
	r.checkJSONType()
	if err := json.Unmarshal(r.Body, v); err != nil {
		r.t.Fatalf("%s: decoding body as %T: %v\n%s", r.What(), v, err, r.excerpt())
	}
	return r
}

func (r *reply) checkJSONType() {
	r.t.Helper()
	for _, p := range contract.JSONTypeProblems(r.Response) {
		r.t.Errorf("%s: %s", r.What(), p)
	}
}

// fails expects an error answer with the status, in the contract's error
// shape (contract.ErrorProblems), with one of the codes.
func (r *reply) fails(status int, codes ...string) contract.Error {
	r.t.Helper()
	if r.Status != status {
		r.t.Fatalf("%s: status %d, want %d %v\n%s", r.What(), r.Status, status, codes, r.excerpt())
	}
	if p := contract.ErrorProblems(r.Response); len(p) > 0 {
		r.t.Errorf("%s: %s\n%s", r.What(), strings.Join(p, "; "), r.excerpt())
	}
	if r.Error == nil {
		r.t.FailNow()
	}
	if len(codes) > 0 && !slices.Contains(codes, r.Error.Code) {
		r.t.Fatalf("%s: error code %q, want %s (message %q)", r.What(), r.Error.Code, strings.Join(codes, " or "), r.Error.Message)
	}
	return *r.Error
}

// failsNaming expects 400 invalid_request whose message names field.
func (r *reply) failsNaming(field string) {
	r.t.Helper()
	if e := r.fails(400, "invalid_request"); !strings.Contains(strings.ToLower(e.Message), strings.ToLower(field)) {
		r.t.Errorf("%s: invalid_request message %q does not name the field %q", r.What(), e.Message, field)
	}
}

// answer is what a typed route of the contract client returned; its want
// checks it.
type answer[T any] struct {
	call contract.Call[T]
	err  error
}

func typed[T any](call contract.Call[T], err error) answer[T] { return answer[T]{call, err} }

// want checks the answer (check), its status and its JSON type, and returns
// its value.
func (a answer[T]) want(t testing.TB, status int) T {
	t.Helper()
	check(t, a.call.Response, a.err).expect(status).checkJSONType()
	return a.call.Value
}

// as expects status and decodes the body as a T (whose fields the document
// holds: every id and token a non-empty string, for one).
func as[T any](r *reply, status int) (v T) {
	r.t.Helper()
	r.expect(status).into(&v)
	return v
}

var seq atomic.Int64

// uniq returns a string unique in this run (and, through the random part,
// across runs that share a persisted KV).
func uniq(prefix string) string {
	return fmt.Sprintf("%s-%d-%s", prefix, seq.Add(1), uuid.NewString()[:8])
}

// newDevice returns a canonical (lower-case) UUID v4, as crypto.randomUUID makes.
func newDevice() string { return uuid.NewString() }

// refusal is a request body that a route refuses with 400: its message
// naming field, or (no field) with one of codes (none: any code).
type refusal struct {
	name  string
	body  any
	codes []string
	field string
}

// refuses runs the subtest group, in which c posts each refusal's body to
// path in a parallel subtest of its name and is refused; it returns when
// all have run.
func refuses(t *testing.T, group string, c *caller, path string, cases []refusal) {
	t.Helper()
	t.Run(group, func(t *testing.T) {
		for _, r := range cases {
			t.Run(r.name, func(t *testing.T) {
				t.Parallel()
				if res := c.post(t, path, r.body); r.field != "" {
					res.failsNaming(r.field)
				} else {
					res.fails(400, r.codes...)
				}
			})
		}
	})
}

// org is one org made for one test, with the origin it allows, on the
// server of base (a caller without credentials).
type org struct {
	contract.Org
	Key    contract.APIKey
	Origin string
	base   *caller
}

// newOrg creates an org on the shared server through the vendor API.
func newOrg(t testing.TB) *org {
	t.Helper()
	return newOrgOn(t, anon(t), server(t).AdminToken)
}

// newOrgOn creates an org on the server of base with its admin token.
func newOrgOn(t testing.TB, base *caller, adminToken string) *org {
	t.Helper()
	origin := "https://" + strings.ToLower(uniq("shop")) + ".example"
	req := contract.CreateOrgRequest{Name: uniq("Org"), AllowedOrigins: []string{origin}}
	r := base.post(t, "/v1/admin/orgs", req, contract.Bearer(adminToken))
	created := as[contract.OrgCreated](r, 201)
	return &org{Org: created.Org, Key: created.APIKey, Origin: origin, base: base}
}

// api calls as the org's server.
func (o *org) api() *caller { return o.base.with(contract.Bearer(o.Key.Secret)) }

// widget calls as the widget in a browser on an allowed origin, with the user
// token when it is not empty.
func (o *org) widget(userToken string) *caller {
	c := o.base.with(contract.WidgetToken(o.WidgetToken), contract.Origin(o.Origin))
	if userToken != "" {
		c = c.with(contract.Bearer(userToken))
	}
	return c
}

// contact signs in a device as a contact; body may add name, email, custom_data.
func (o *org) contact(t testing.TB, device string, body map[string]any) contract.ContactSignedIn {
	t.Helper()
	b := map[string]any{"device_id": device}
	maps.Copy(b, body)
	r := o.widget("").post(t, "/v1/widget/contacts", b)
	c := as[contract.ContactSignedIn](r, 200)
	match(t, "contacts: Access-Control-Allow-Origin", r.Header.Get("Access-Control-Allow-Origin"), o.Origin)
	return c
}

func (o *org) me(t testing.TB, token string) contract.Me {
	t.Helper()
	return typed(o.widget(token).c.GetMe(t.Context())).want(t, 200)
}

// chat is a widget of o signed in as the contact of a new device, and a
// new session of that contact.
func (o *org) chat(t testing.TB) (*caller, contract.Session) {
	t.Helper()
	w := o.widget(o.contactToken(t))
	return w, createSession(t, w, nil)
}

func (o *org) contactToken(t testing.TB) string {
	t.Helper()
	return o.contact(t, newDevice(), nil).Token
}

// authenticate issues a verified token through the org's server.
func (o *org) authenticate(t testing.TB, body map[string]any) contract.Authenticated {
	t.Helper()
	r := o.api().post(t, "/v1/users/authenticate", body)
	return as[contract.Authenticated](r, 200)
}

func createSession(t testing.TB, w *caller, body map[string]any, opts ...contract.Option) contract.Session {
	t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	r := w.post(t, "/v1/widget/sessions", body, opts...)
	return as[contract.SessionCreated](r, 201).Session
}

func say(t testing.TB, w *caller, sessionID, content string, opts ...contract.Option) contract.Message {
	t.Helper()
	return typed(w.c.PostUserMessage(t.Context(), sessionID, content, opts...)).want(t, 201).Message
}

func agentSay(t testing.TB, o *org, sessionID, content, author string, opts ...contract.Option) contract.Message {
	t.Helper()
	req := contract.MessageRequest{Content: content, AuthorName: author}
	return typed(o.api().c.PostAgentMessage(t.Context(), sessionID, req, opts...)).want(t, 201).Message
}

// listAll walks every page of a session listing at path (with its query,
// whose limit each page keeps to) and returns the items in order. It fails
// if the walk does not end. (That items is a list, also when empty, is the
// document's rule.)
func listAll(t testing.TB, c *caller, path string, q url.Values) []contract.Session {
	t.Helper()
	var all []contract.Session
	qq := url.Values{}
	maps.Copy(qq, q)
	limit, _ := strconv.Atoi(qq.Get("limit"))
	err := contract.Pages(200, func(cursor string) (*string, error) {
		if cursor != "" {
			qq.Set("cursor", cursor)
		}
		p := path
		if len(qq) > 0 {
			p += "?" + qq.Encode()
		}
		l := as[contract.SessionList](c.get(t, p), 200)
		if limit > 0 && len(l.Items) > limit {
			t.Errorf("GET %s: %d items, more than limit %d", p, len(l.Items), limit)
		}
		if limit > 0 && len(l.Items) == 0 && l.NextCursor != nil && *l.NextCursor != "" {
			t.Errorf("GET %s: empty page with a next_cursor", p)
		}
		all = append(all, l.Items...)
		return l.NextCursor, nil
	})
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return all
}

// widgetSessions lists all the caller's sessions through the widget;
// orgSessions the org's through its server.
func widgetSessions(t testing.TB, w *caller, q url.Values) []contract.Session {
	t.Helper()
	return listAll(t, w, "/v1/widget/sessions", q)
}

func orgSessions(t testing.TB, o *org, q url.Values) []contract.Session {
	t.Helper()
	return listAll(t, o.api(), "/v1/sessions", q)
}

// widgetSession reads one session through the widget; orgSession through
// the org's server.
func widgetSession(t testing.TB, w *caller, id string) contract.SessionDetail {
	t.Helper()
	return typed(w.c.GetSession(t.Context(), id, "")).want(t, 200)
}

func orgSession(t testing.TB, o *org, id string) contract.SessionDetail {
	t.Helper()
	return typed(o.api().c.GetOrgSession(t.Context(), id)).want(t, 200)
}

func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

func sessionIDs(ss []contract.Session) []string {
	return ids(ss, func(s contract.Session) string { return s.ID })
}
func messageIDs(ms []contract.Message) []string {
	return ids(ms, func(m contract.Message) string { return m.ID })
}

// sameSet fails unless got and want hold the same ids, each once.
func sameSet(t testing.TB, what string, got, want []string) {
	t.Helper()
	if g, w := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want)); !slices.Equal(g, w) {
		t.Errorf("%s: got ids %v, want exactly %v", what, got, want)
	}
}

func q(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// rfc3339UTC parses an API time, failing unless it is RFC 3339 in UTC.
func rfc3339UTC(t testing.TB, what, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Errorf("%s: %q is not an RFC 3339 time: %v", what, s, err)
	} else if !strings.HasSuffix(s, "Z") {
		t.Errorf("%s: %q is not in UTC (want a Z suffix)", what, s)
	}
	return tm
}

// match fails the test unless got matches want (contract.Match: the keys
// of an M, everything else whole).
func match(t testing.TB, what string, got, want any) { t.Helper(); contract.Expect(t, what, got, want) }

type M = contract.M

var idSegment = regexp.MustCompile(`(/(?:sessions|orgs|api-keys)/)[^/?]+`)

// pattern names a route for a subtest: ids become {id}.
func pattern(path string) string { return idSegment.ReplaceAllString(path, "${1}{id}") }
