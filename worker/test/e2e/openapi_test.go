//go:build !js

package e2e

import (
	"bytes"
	"testing"

	"github.com/chatwidget/identity/internal/api/openapi"
	"github.com/chatwidget/identity/worker/test/contract"
)

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
