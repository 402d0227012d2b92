package httpx

import (
	"fmt"
	"net/url"
	"strings"
)

// Router routes requests by method and path. Patterns are "METHOD /a/{name}/b":
// a {name} segment matches any one non-empty segment, every other segment
// matches itself. Paths are not cleaned: "/a//b" and "/a/" match nothing.
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
	// Allowed lists the methods of the routes whose path matched.
	Allowed []string
	params  map[string]string
}

// Match routes method and the escaped path. A GET route answers HEAD too.
func (rt *Router) Match(method, escapedPath string) Match {
	var m Match
	if !strings.HasPrefix(escapedPath, "/") {
		return m
	}
	segs := strings.Split(escapedPath[1:], "/")
	for _, r := range rt.routes {
		params, ok := r.match(segs)
		if !ok {
			continue
		}
		m.PathPattern = r.path
		m.Allowed = append(m.Allowed, r.method)
		if m.Handler == nil && (r.method == method || (method == MethodHead && r.method == MethodGet)) {
			m.Handler, m.Pattern, m.params = r.h, r.pattern, params
		}
	}
	return m
}

// Serve answers r with the matched route, setting its Pattern and path
// values. The caller handles m.Handler == nil.
func (m Match) Serve(w ResponseWriter, r *Request) {
	r.Pattern, r.params = m.Pattern, m.params
	m.Handler.Serve(w, r)
}

func (r route) match(segs []string) (map[string]string, bool) {
	if len(segs) != len(r.segs) {
		return nil, false
	}
	var params map[string]string
	for i, want := range r.segs {
		got := segs[i]
		if strings.HasPrefix(want, "{") && strings.HasSuffix(want, "}") {
			v, err := url.PathUnescape(got)
			if got == "" || err != nil {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[want[1:len(want)-1]] = v
			continue
		}
		if got != want {
			return nil, false
		}
	}
	return params, true
}
