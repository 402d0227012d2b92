//go:build !js

package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/chatwidget/identity/worker/test/contract"
)

// rawRequest sends method and target exactly as given in the request line,
// over its own TCP connection (net/http would refuse to send or re-encode
// these targets), and reads the answer.
func rawRequest(t *testing.T, method, target string, headers ...string) *reply {
	t.Helper()
	u, err := url.Parse(server(t).URL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
	req := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, target, u.Host)
	for i := 0; i+1 < len(headers); i += 2 {
		req += headers[i] + ": " + headers[i+1] + "\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := &reply{t: t, Status: res.StatusCode, Header: res.Header, Body: b, what: method + " " + target + " (raw)"}
	r.res = &contract.Response{Method: method, Path: target, Status: res.StatusCode, Header: res.Header, Body: b}
	r.res.Error, r.res.ErrorErr = contract.ParseError(res.StatusCode, b)
	if r.Status >= 500 {
		t.Errorf("%s: got %d, no request may get a 5xx\n%s", r.what, r.Status, r.excerpt())
	}
	return r
}

// The three paths of issue 19, sent raw: each once answered 500 on every
// route, with no credentials. A path that matches no route is 404; a route's
// {id} that is not valid percent-encoding is 400 naming it; both in the
// contract's error shape.
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
		for _, creds := range [][]string{nil, {"Authorization", "Bearer " + o.Key.Secret}} {
			r := rawRequest(t, c.method, c.target, creds...)
			r.checkJSONType()
			if c.names != "" {
				r.failsNaming(c.names)
			} else {
				r.fails(c.status, c.code)
			}
		}
	}
}
