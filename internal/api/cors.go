package api

import (
	"strings"

	"github.com/chatwidget/identity/internal/httpx"
	"github.com/chatwidget/identity/internal/identity"
)

const widgetPrefix = "/v1/widget/"

func isWidgetPath(p string) bool { return strings.HasPrefix(p, widgetPrefix) }

const (
	allowHeaders  = "Authorization, Content-Type, Idempotency-Key, X-Contact-Token, X-Widget-Token"
	allowMethods  = "GET, POST, DELETE, OPTIONS"
	exposeHeaders = "Idempotent-Replayed, Link, Retry-After"
)

// preflight answers a CORS preflight on a widget route. It carries no widget
// token, so it is answered for origins that some org allows; the request
// that follows is checked against its own org. An OPTIONS without an Origin
// is no preflight: it answers what the path takes, in Allow, as a 405 of
// that path does (404 for a path of no route).
func (a *API) preflight(w httpx.ResponseWriter, r *httpx.Request) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		m := a.routes.Match(httpx.MethodOptions, r.EscapedPath())
		if m.PathPattern == "" {
			a.writeError(w, r, errNoRoute)
			return
		}
		w.Header().Set("Allow", strings.Join(append(m.Allowed, httpx.MethodOptions), ", "))
		w.WriteHeader(httpx.StatusNoContent)
		return
	}
	known, err := a.store.OriginKnown(r.Context(), origin)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	if !known {
		a.writeError(w, r, identity.ErrOriginNotAllowed)
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Methods", allowMethods)
	h.Set("Access-Control-Allow-Headers", allowHeaders)
	h.Set("Access-Control-Max-Age", "600")
	h.Add("Vary", "Origin")
	w.WriteHeader(httpx.StatusNoContent)
}

// allowCORS lets the page at the request's origin read the answer.
func allowCORS(w httpx.ResponseWriter, r *httpx.Request) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Expose-Headers", exposeHeaders)
	h.Add("Vary", "Origin")
}

func denyCORS(w httpx.ResponseWriter) {
	h := w.Header()
	h.Del("Access-Control-Allow-Origin")
	h.Del("Access-Control-Expose-Headers")
}
