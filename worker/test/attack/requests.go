package attack

import (
	"cmp"
	"net/http"
	"regexp"
	"strings"

	"github.com/google/uuid"
)

// How a case's request is made: templates of the fixture's values, the
// routes of the API with their callers' credentials, and the builders of
// cases from them.

// x fills in the fixture's values that s names: {A.key} (org A's api key;
// also {A.ID}, {A.pk}, {A.keyID}, {A.origin}, {A.host}, and B's), {SA1} (a
// session of fixtureWorld), {CA1} (a token), {DevA1} (a device id),
// {ContactA1} (CA1's contact id), {admin}, {deleted} (the deleted api key),
// {KG}, {probe} and {evil} (origins no org allows), {Missing}, {CursorA1},
// {CursorOrgA}. {new} is a fresh UUID v4, {v7} a fresh UUID v7.
func (f *Fixture) x(s string) string {
	return templateName.ReplaceAllStringFunc(s, func(m string) string { return f.v(m[1 : len(m)-1]) })
}

// v is the value x puts for {name}. A name it does not know panics: left in
// the request as written, it would make a case refused for the wrong
// reason, one that could not fail.
func (f *Fixture) v(name string) string {
	switch name {
	case "new":
		return uuid.NewString()
	case "v7":
		return uuid.Must(uuid.NewV7()).String()
	}
	v, ok := f.vals[name]
	if !ok {
		panic("attack: {" + name + "} is none of the fixture's values")
	}
	return v
}

// templateName is a name x fills in; JSON's `{"` never matches it.
var templateName = regexp.MustCompile(`\{[A-Za-z][A-Za-z0-9.]*\}`)

// req is the request route ("METHOD path") with body and the header pairs h,
// each filled in by f.x; a header whose value is "" is not sent.
func (f *Fixture) req(route, body string, h ...string) Request {
	method, path, _ := strings.Cut(route, " ")
	hd := http.Header{}
	for i := 0; i+1 < len(h); i += 2 {
		if v := f.x(h[i+1]); v != "" {
			hd.Set(h[i], v)
		}
	}
	return Request{Method: method, Path: f.x(path), Header: hd, Body: f.x(body)}
}

func bearer(tok string) string {
	if tok == "" {
		return ""
	}
	return "Bearer " + tok
}

// widgetReq is a widget call with widget token pk and user token tok ("" for
// none), and the header pairs more.
func (f *Fixture) widgetReq(route, pk, tok, body string, more ...string) Request {
	return f.req(route, body, append([]string{"X-Widget-Token", pk, "Authorization", bearer(tok)}, more...)...)
}

// call is a case of one request, with the header pairs h.
func call(class, name, route, body string, want Want, h ...string) Case {
	return Case{Class: class, Name: name, Want: want, Req: func(f *Fixture) Request { return f.req(route, body, h...) }}
}

// wc is a case of a widget call of org A as user token tok; wcOn names the
// widget token.
func wc(class, name, route, tok, body string, want Want) Case {
	return wcOn(class, name, route, "{A.pk}", tok, body, want)
}

func wcOn(class, name, route, pk, tok, body string, want Want) Case {
	return call(class, name, route, body, want, "X-Widget-Token", pk, "Authorization", bearer(tok))
}

// sc is a case of an org-server (or vendor) call with Authorization auth.
func sc(class, name, route, auth, body string, want Want) Case {
	return call(class, name, route, body, want, "Authorization", auth)
}

func refusal(status int, code string) Want { return Want{Status: status, Code: code} }

func ok(check func(*Fixture, *Response) []string) Want { return Want{Status: 200, Check: check} }

// apiRoute is one route of the API as the cases send it: its path with the
// fixture's templates ({SA1}, filled by Fixture.x), how case names show each
// template, the credentials its own caller sends (org A's widget token and
// Authorization, templates too) and a body that would store something if
// let through.
type apiRoute struct {
	method, path string
	labels       []string // for each template of path, in order: "{A1's}"
	pk, auth     string
	body         string
	more         []string // other header pairs its caller sends
}

// The credentials of the routes' own callers.
const (
	vendorAuth = "Bearer {admin}"
	serverAuth = "Bearer {A.key}"
	userAuth   = "Bearer {CA1}"
)

// The routes of the API, in the document's order.
var (
	rJWKS         = apiRoute{method: "GET", path: "/.well-known/jwks.json"}
	rCreateOrg    = apiRoute{method: "POST", path: "/v1/admin/orgs", auth: vendorAuth, body: probeOrgBody}
	rGetOrg       = apiRoute{method: "GET", path: "/v1/admin/orgs/{A.ID}", labels: []string{"{A}"}, auth: vendorAuth}
	rUpdateOrg    = apiRoute{method: "PATCH", path: "/v1/admin/orgs/{A.ID}", labels: []string{"{A}"}, auth: vendorAuth, body: attackOriginsBody}
	rCreateKey    = apiRoute{method: "POST", path: "/v1/admin/orgs/{A.ID}/api-keys", labels: []string{"{A}"}, auth: vendorAuth}
	rDeleteKey    = apiRoute{method: "DELETE", path: "/v1/admin/orgs/{A.ID}/api-keys/{A.keyID}", labels: []string{"{A}", "{A's key}"}, auth: vendorAuth}
	rAuthenticate = apiRoute{method: "POST", path: "/v1/users/authenticate", auth: serverAuth, body: attackAuthenticateBody}
	rRevoke       = apiRoute{method: "POST", path: "/v1/users/revoke", auth: serverAuth, body: attackRevokeVictimBody}
	rOrgList      = apiRoute{method: "GET", path: "/v1/sessions", auth: serverAuth}
	rOrgGet       = apiRoute{method: "GET", path: "/v1/sessions/{SA1}", labels: []string{"{id}"}, auth: serverAuth}
	rOrgPost      = apiRoute{method: "POST", path: "/v1/sessions/{SA1}/messages", labels: []string{"{id}"}, auth: serverAuth, body: attackContent}
	rContacts     = apiRoute{method: "POST", path: "/v1/widget/contacts", pk: "{A.pk}", body: attackContactNameChange}
	rMe           = apiRoute{method: "GET", path: "/v1/widget/me", pk: "{A.pk}", auth: userAuth}
	rForget       = apiRoute{method: "DELETE", path: "/v1/widget/me", pk: "{A.pk}", auth: userAuth} // would erase the token's contact if let through
	rCreate       = apiRoute{method: "POST", path: "/v1/widget/sessions", pk: "{A.pk}", auth: userAuth, body: attackSessionBody}
	rList         = apiRoute{method: "GET", path: "/v1/widget/sessions", pk: "{A.pk}", auth: userAuth}
	rGet          = apiRoute{method: "GET", path: "/v1/widget/sessions/{SA1}", labels: []string{"{A1's}"}, pk: "{A.pk}", auth: userAuth}
	rPost         = apiRoute{method: "POST", path: "/v1/widget/sessions/{SA1}/messages", labels: []string{"{A1's}"}, pk: "{A.pk}", auth: userAuth, body: attackContent}
	// rClaim would move A2's sessions to the caller if let through.
	rClaim = apiRoute{method: "POST", path: "/v1/widget/claim", pk: "{A.pk}", auth: "Bearer {V}", more: []string{"X-Contact-Token", "{CA2}"}}
	// A person's data and the webhook, as the org's server calls them: a
	// good request erases A2's contact, or sets, rotates or drops A's
	// webhook.
	rExportUser    = apiRoute{method: "GET", path: "/v1/users/export", auth: serverAuth}
	rDeleteUser    = apiRoute{method: "DELETE", path: "/v1/users", auth: serverAuth}
	rExportContact = apiRoute{method: "GET", path: "/v1/contacts/{ContactA1}/export", labels: []string{"{contact}"}, auth: serverAuth}
	rDeleteContact = apiRoute{method: "DELETE", path: "/v1/contacts/{ContactA2}", labels: []string{"{contact}"}, auth: serverAuth}
	rDeletion      = apiRoute{method: "GET", path: "/v1/deletions/{Missing}", labels: []string{"{id}"}, auth: serverAuth}
	rPutWebhook    = apiRoute{method: "PUT", path: "/v1/webhook", auth: serverAuth, body: attackWebhookBody}
	rGetWebhook    = apiRoute{method: "GET", path: "/v1/webhook", auth: serverAuth}
	rDeleteWebhook = apiRoute{method: "DELETE", path: "/v1/webhook", auth: serverAuth}
	rRotate        = apiRoute{method: "POST", path: "/v1/webhook/rotate-secret", auth: serverAuth}
)

// attackOriginsBody would let an attacker's pages use A's widget.
const attackOriginsBody = `{"allowed_origins":["https://attack.invalid"]}`

// attackWebhookBody would point A's webhook at an address no one answers.
const attackWebhookBody = `{"url":"https://hooks.attack.invalid/steal"}`

var (
	// allRoutes are the routes behind a user token; writeRoutes the read of
	// /me and those that would store or erase something if let through.
	allRoutes   = []apiRoute{rMe, rCreate, rList, rGet, rPost, rForget, rClaim}
	writeRoutes = []apiRoute{rMe, rCreate, rPost, rForget, rClaim}
	// serverRoutes are the org server's routes; adminRoutes the vendor's,
	// each of which would change something.
	serverRoutes = []apiRoute{rOrgList, rOrgGet, rOrgPost, rAuthenticate, rRevoke}
	adminRoutes  = []apiRoute{rCreateOrg, rGetOrg, rUpdateOrg, rCreateKey, rDeleteKey}
	// everyRoute is every route malformed escapes are tried on.
	everyRoute = []apiRoute{rJWKS, rCreateOrg, rGetOrg, rUpdateOrg, rCreateKey, rDeleteKey, rAuthenticate, rRevoke, rOrgList, rOrgGet, rOrgPost,
		rContacts, rMe, rCreate, rList, rGet, rPost, rForget, rClaim,
		rExportUser, rDeleteUser, rExportContact, rDeleteContact, rDeletion, rPutWebhook, rGetWebhook, rDeleteWebhook, rRotate}
	// bodyRoutes are the routes that read a JSON body; a verified token
	// bound to ws-1 creates the sessions.
	bodyRoutes = []apiRoute{rCreateOrg, rAuthenticate, rRevoke, rOrgPost.on("{SA1}", "{A1's}"), rContacts,
		rCreate.as("Bearer {VExt}"), rPost, rPutWebhook}
)

// fill replaces the i-th template of the path by with(i, template).
func (rt apiRoute) fill(with func(i int, template string) string) string {
	i := -1
	return templateName.ReplaceAllStringFunc(rt.path, func(m string) string { i++; return with(i, m) })
}

// name is how case names show the route: "GET /v1/widget/sessions/{A1's}".
func (rt apiRoute) name() string {
	return rt.method + " " + rt.fill(func(i int, _ string) string { return rt.labels[i] })
}

// pattern is the path with "{}" for each template: "/v1/sessions/{}".
func (rt apiRoute) pattern() string { return rt.fill(func(int, string) string { return "{}" }) }

// route is "METHOD path", for Fixture.req.
func (rt apiRoute) route() string { return rt.method + " " + rt.path }

// on is the route of one session on another session (a template), shown
// as label.
func (rt apiRoute) on(session, label string) apiRoute {
	rt.path, rt.labels = rt.fill(func(int, string) string { return session }), []string{label}
	return rt
}

// as is the route with another Authorization of its caller.
func (rt apiRoute) as(auth string) apiRoute {
	rt.auth = auth
	return rt
}

// credential is a credential an attacker presents in a route caller's
// place: on a widget route a user token, sent as Bearer beside org A's
// widget token (or pk); on any other route the whole Authorization value.
type credential struct {
	name     string
	needsKey bool
	pk       string
	make     func(f *Fixture) string
	echo     []string // strings in it the answer must not repeat
}

func tok(name string, make func(f *Fixture) string) credential {
	return credential{name: name, make: make}
}

func keyTok(name string, make func(f *Fixture) string) credential {
	return credential{name: name, needsKey: true, make: make}
}

// fixed is a credential of the fixture: fixed("{CA1}").
func fixed(s string) func(*Fixture) string { return func(f *Fixture) string { return f.x(s) } }

// presented presents each credential on each route and wants the same
// refusal.
func presented(class string, want Want, routes []apiRoute, creds ...credential) []Case {
	var cs []Case
	for _, cr := range creds {
		for _, rt := range routes {
			cs = append(cs, Case{Class: class, Name: cr.name + ": " + rt.name(), NeedsKey: cr.needsKey, Want: want,
				Req: func(f *Fixture) Request {
					v, req := cr.make(f), Request{}
					if rt.pk == "" {
						req = f.req(rt.route(), rt.body, "Authorization", v)
					} else {
						req = f.widgetReq(rt.route(), cmp.Or(cr.pk, rt.pk), v, rt.body, rt.more...)
					}
					req.Echo = cr.echo
					return req
				}})
		}
	}
	return cs
}
