//go:build !js

package e2e

import (
	"testing"

	"github.com/chatwidget/identity/worker/test/contract"
)

// The three paths of issue 19, sent raw (the contract client puts a path
// net/url refuses in the request line as it is): each once answered 500 on
// every route, with no credentials. A path that matches no route is 404; a
// route's {id} that is not valid percent-encoding is 400 naming it; both in
// the contract's error shape.
func TestMalformedEscapesSentRaw(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	for _, c := range []struct {
		method, target string
		status         int
		code, names    string
	}{
		{"GET", "/%", 404, "not_found", ""},
		{"OPTIONS", "/%", 404, "not_found", ""},
		{"GET", "/v1/sessions/%zz", 400, "invalid_request", "id"},
		{"OPTIONS", "/v1/sessions/%zz", 405, "method_not_allowed", ""},
		{"GET", "/%E0%A4%A", 404, "not_found", ""},
		{"POST", "/%E0%A4%A", 404, "not_found", ""},
		{"GET", "/v1/sessions?cursor=%", 400, "invalid_request", "cursor"},
	} {
		for _, creds := range []contract.Option{contract.Without("Authorization"), contract.Bearer(o.Key.Secret)} {
			r := unvalidated(anon(t)).do(t, c.method, c.target, nil, creds)
			r.checkJSONType()
			if c.names != "" {
				r.failsNaming(c.names)
			} else {
				r.fails(c.status, c.code)
			}
		}
	}
}
