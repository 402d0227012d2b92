//go:build !js

package openapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/chatwidget/identity/internal/api/openapi"
)

// TestDocumentIsValid: the document loads, resolves every $ref and is valid
// OpenAPI 3.1, and its examples and defaults fit their schemas.
func TestDocumentIsValid(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(openapi.JSON)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi %q, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableSchemaPatternValidation()); err != nil {
		t.Fatalf("validate: %v", err)
	}
}

// TestEveryErrorStatusHasItsCodes: each error response names the codes of
// its status, as the contract's table does, and every operation answers 413
// (a body over 64 KiB is refused before routing).
func TestEveryErrorStatusHasItsCodes(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(openapi.JSON)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if path == "/openapi.json" {
				continue // a static asset
			}
			if op.Responses.Status(413) == nil {
				t.Errorf("%s %s: no 413", method, path)
			}
			for code, r := range op.Responses.Map() {
				if strings.HasPrefix(code, "4") || strings.HasPrefix(code, "5") {
					if r.Ref == "" {
						t.Errorf("%s %s %s: an error answer that is not one of components/responses", method, path, code)
					}
				}
			}
		}
	}
}
