//go:build !js

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chatwidget/identity/internal/api/openapi"
	"github.com/chatwidget/identity/worker/test/contract"
	"github.com/golang-jwt/jwt/v5"
)

// jwtClaims decodes a compact JWS's claims.
func jwtClaims(t testing.TB, token string) map[string]any {
	t.Helper()
	tok, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
	if err != nil {
		t.Fatalf("token %q is not a compact JWS of JSON header and claims: %v", token, err)
	}
	return tok.Claims.(jwt.MapClaims)
}

// audience is a token's aud, a list of one taken as that one.
func audience(claims map[string]any) any {
	if a, ok := claims["aud"].([]any); ok && len(a) == 1 {
		return a[0]
	}
	return claims["aud"]
}

// verify checks token with the JWKS alone, as a customer would
// (contract.VerifyToken: EdDSA, kid, signature, iss, aud o, kind, sub, jti,
// times), and returns its claims. The document holds that there is a key,
// each with a kid, and an Ed25519 signing key; verify adds that none carries
// the private part d.
func verify(t testing.TB, o *org, token string) map[string]any {
	t.Helper()
	var set struct{ Keys []map[string]any }
	r := anon(t).get(t, "/.well-known/jwks.json").expect(200).into(&set)
	for _, k := range set.Keys {
		match(t, fmt.Sprintf("JWKS key %v: d", k["kid"]), k["d"], nil)
	}
	claims, err := contract.VerifyToken(token, r.Body, server(t).Vars["TOKEN_ISSUER"], o.ID)
	if err != nil {
		t.Fatalf("token does not verify with the JWKS: %v", err)
	}
	return claims
}

func TestJWKS(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	anon(t).get(t, "/.well-known/jwks.json", contract.Origin(o.Origin)).expect(200).checkJSONType()
	a := o.authenticate(t, map[string]any{"user_id": uniq("jwks"), "external_id": "ws-9"})
	for kind, tok := range map[string]string{"contact": o.contactToken(t), "verified": a.Token} {
		match(t, kind+" token", verify(t, o, tok), M{"kind": kind})
	}
	if b, _ := json.Marshal(jwtClaims(t, a.Token)); !strings.Contains(string(b), "ws-9") {
		t.Errorf("verified token with external_id does not carry it in its claims: %s", b)
	}
}

// TestOpenAPIDocumentIsServed: GET /openapi.json is the document in the
// repository, as JSON, readable from any site (the CORS of the widget files).
func TestOpenAPIDocumentIsServed(t *testing.T) {
	t.Parallel()
	r := anon(t).get(t, "/openapi.json", contract.Origin("https://anywhere.example")).expect(200)
	r.checkJSONType()
	match(t, "GET /openapi.json: Access-Control-Allow-Origin", r.Header.Get("Access-Control-Allow-Origin"), "*")
	if !bytes.Equal(r.Body, openapi.JSON) {
		t.Errorf("GET /openapi.json: %d bytes that are not internal/api/openapi/openapi.json (%d bytes): run make build", len(r.Body), len(openapi.JSON))
	}
}

// TestWidgetFilesAreServed: the files a page loads, and the widget's
// TypeScript declarations, each with the type a browser or a type-checking
// tool reads it as, readable from any site.
func TestWidgetFilesAreServed(t *testing.T) {
	t.Parallel()
	for path, ctype := range map[string]string{
		"/widget.js":        "text/javascript",
		"/wasm_exec.js":     "text/javascript",
		"/widget-core.wasm": "application/wasm",
		"/widget.d.ts":      "application/typescript", // not .ts's default, video/mp2t
	} {
		// Not through the contract's client: the files are not the API's.
		req, err := http.NewRequestWithContext(t.Context(), "GET", server(t).URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Origin", "https://anywhere.example")
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if got, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); r.StatusCode != 200 || got != ctype {
			t.Errorf("GET %s: %d, Content-Type %q, want 200 and %s", path, r.StatusCode, r.Header.Get("Content-Type"), ctype)
		}
		match(t, "GET "+path+": Access-Control-Allow-Origin", r.Header.Get("Access-Control-Allow-Origin"), "*")
	}
}
