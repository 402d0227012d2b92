package httpx

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Router routes requests by method and path. Patterns are "METHOD /a/{name}/b":
// a {name} segment matches any one non-empty segment, every other segment
// matches itself. Paths are not cleaned: "/a//b" and "/a/" match nothing.
//
// Routing is on the escaped path as sent (Request.EscapedPath), segment by
// segment: a literal segment matches only its own spelling ("/v1/se%73sions"
// is not "/v1/sessions"), and a {name} segment is percent-decoded into its
// path value, so "a%2Fb" gives "a/b". A segment that is not valid
// percent-encoding ("%", "%zz", "%E0%A4%A") still matches a {name}, but the
// match reports it in BadParam, for the caller to refuse the request
// (package api answers 400 invalid_request naming the parameter); in a
// literal position it matches nothing (404).
type Router struct {
	routes []route
}

type route struct {
	pattern string
	method  string
	path    string
	segs    []string
	h       Handler
}

// Handle registers h for pattern. It panics on a malformed or repeated
// pattern, as net/http does.
func (rt *Router) Handle(pattern string, h Handler) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok || method == "" || !strings.HasPrefix(path, "/") {
		panic(fmt.Sprintf("httpx: malformed pattern %q", pattern))
	}
	for _, r := range rt.routes {
		if r.method == method && r.path == path {
			panic(fmt.Sprintf("httpx: pattern %q registered twice", pattern))
		}
	}
	rt.routes = append(rt.routes, route{pattern: pattern, method: method, path: path, segs: strings.Split(path[1:], "/"), h: h})
}

// Patterns returns the registered patterns, in the order they were registered.
func (rt *Router) Patterns() []string {
	out := make([]string, len(rt.routes))
	for i, r := range rt.routes {
		out[i] = r.pattern
	}
	return out
}

// Match is the outcome of routing a request.
type Match struct {
	// Handler is nil when no route matches method and path.
	Handler Handler
	// Pattern of the route that matched.
	Pattern string
	// PathPattern is the path of the routes whose path matched, "" when none.
	PathPattern string
	// Allowed lists the methods of the routes whose path matched, in the
	// order they were registered, with HEAD after GET: a GET route answers
	// HEAD too, so the path supports it (RFC 9110, 10.2.1: Allow lists the
	// methods the resource supports).
	Allowed []string
	// BadParam names the {name} of the matched route whose segment is not
	// valid percent-encoding, "" when every one decoded. Its path value is
	// the segment as sent.
	BadParam string
	params   map[string]string
}

// Match routes method and the escaped path. A GET route answers HEAD too.
func (rt *Router) Match(method, escapedPath string) Match {
	var m Match
	if !strings.HasPrefix(escapedPath, "/") {
		return m
	}
	segs := strings.Split(escapedPath[1:], "/")
	for _, r := range rt.routes {
		params, bad, ok := r.match(segs)
		if !ok {
			continue
		}
		m.PathPattern = r.path
		m.Allowed = allow(m.Allowed, r.method)
		if r.method == MethodGet {
			m.Allowed = allow(m.Allowed, MethodHead)
		}
		if m.Handler == nil && (r.method == method || (method == MethodHead && r.method == MethodGet)) {
			m.Handler, m.Pattern, m.params, m.BadParam = r.h, r.pattern, params, bad
		}
	}
	return m
}

// allow adds method to allowed unless it is there already (a HEAD route
// beside a GET one).
func allow(allowed []string, method string) []string {
	if slices.Contains(allowed, method) {
		return allowed
	}
	return append(allowed, method)
}

// Serve answers r with the matched route, setting its Pattern and path
// values. The caller handles m.Handler == nil.
func (m Match) Serve(w ResponseWriter, r *Request) {
	r.Pattern, r.params = m.Pattern, m.params
	m.Handler.Serve(w, r)
}

func (r route) match(segs []string) (params map[string]string, bad string, ok bool) {
	if len(segs) != len(r.segs) {
		return nil, "", false
	}
	for i, want := range r.segs {
		got := segs[i]
		if strings.HasPrefix(want, "{") && strings.HasSuffix(want, "}") {
			if got == "" {
				return nil, "", false
			}
			name := want[1 : len(want)-1]
			v, err := url.PathUnescape(got)
			if err != nil {
				v = got
				if bad == "" {
					bad = name
				}
			}
			if params == nil {
				params = map[string]string{}
			}
			params[name] = v
			continue
		}
		if got != want {
			return nil, "", false
		}
	}
	return params, bad, true
}
