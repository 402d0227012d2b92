// Package api is the worker's HTTP API, as the contract (API.md) describes
// it: the vendor's admin routes, the org server's routes, the widget's routes
// with their CORS rules, and the JWKS.
//
// A request's credentials become a caller value passed down the handler
// chain; nothing about a request is kept anywhere else, so one API value
// serves any number of requests at once. Errors are identity.Error values,
// mapped to an HTTP status and written as the contract's JSON shape in one
// place (errors.go).
//
// # Requests that cannot be understood
//
// No request gets a 5xx for what it holds. The path is routed as it was sent
// (httpx.NewRequest keeps a URL that net/url refuses), segment by segment:
//
//   - a path that matches no route, whatever its escapes ("/%", "/%zz",
//     "/%E0%A4%A", "/v1/se%73sions", "//v1/sessions", "/v1/widget/../x"),
//     is 404 not_found; paths are never cleaned or decoded before matching,
//     and the answer does not repeat the path;
//   - a path that matches a route whose {param} segment is not valid
//     percent-encoding ("/v1/sessions/%zz") is 400 invalid_request naming
//     the parameter ("id in the path is ..."), or 405 when the route has no
//     such method, as for any id; valid escapes decode ("%2F" is "/", "%00"
//     a NUL), and an id that decodes to nothing stored is 404 not_found;
//   - a matched route's query string that is not valid percent-encoding
//     ("?limit=%zz", "?cursor=%", "?%zz=1") or that separates parameters
//     with ';' is 400 invalid_request, naming the parameter when it is one
//     the API reads (never another key: it might be a credential).
//
// These are checked before credentials (checkEncoding): the request cannot
// be understood, whoever sends it, and the refusal says nothing about any
// org. On the widget routes the refusal carries CORS headers for the
// request's origin, like every refusal given before the org is known.
// Header values are only ever compared or parsed, so odd ones (invalid
// UTF-8, very long) are refused as the credential or origin they fail to be.
//
// Bodies are decoded by decodeJSON: keys match exactly, case included (a
// key that is not exactly a field's name is an unknown field, ignored), and
// a body that repeats a key in any object, at any depth, is 400
// invalid_json, and so is one whose strings are not UTF-8 text: invalid
// bytes, or an escape of half a UTF-16 surrogate pair alone ("\ud800"),
// which encoding/json would turn into U+FFFD (see jsonread.Strict).
package api
