package api

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chatwidget/identity/internal/api/openapi"
	"github.com/chatwidget/identity/internal/config"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/internal/token"
)

// TestRoutesAreTheDocuments: the routes the API registers are the
// operations of the OpenAPI document (internal/api/openapi/openapi.json):
// a new route is documented with it, and an operation tagged not-yet loses
// the tag when its route lands (so that its answers are checked strictly).
func TestRoutesAreTheDocuments(t *testing.T) {
	a := bareAPI(t, config.Config{})
	param := regexp.MustCompile(`\{[^}]*\}`)
	norm := func(method, path string) string {
		return strings.ToUpper(method) + " " + param.ReplaceAllString(path, "{}")
	}
	registered := map[string]bool{}
	for _, p := range a.routes.Patterns() {
		method, path, _ := strings.Cut(p, " ")
		registered[norm(method, path)] = true
	}

	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openapi.JSON, &doc); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths {
		for method, raw := range item {
			switch method {
			case "get", "put", "post", "delete", "patch":
			default:
				continue // parameters, and the preflights (answered for every widget path)
			}
			if path == "/openapi.json" {
				continue // a static asset
			}
			var op struct {
				Tags []string `json:"tags"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatal(err)
			}
			k := norm(method, path)
			documented[k] = true
			notYet := slices.Contains(op.Tags, "not-yet")
			switch {
			case notYet && registered[k]:
				t.Errorf("%s is registered: drop its not-yet tag in openapi.json", k)
			case !notYet && !registered[k]:
				t.Errorf("%s is in openapi.json but not registered (tag it not-yet, or register it)", k)
			}
		}
	}
	for k := range registered {
		if !documented[k] {
			t.Errorf("%s is registered but not in openapi.json", k)
		}
	}
}

// TestDocumentNamesPathParametersAsTheRoutes: each documented path names its
// parameters as the route does (and as API.md writes them: /v1/sessions/{id},
// /v1/contacts/{contact_id}): a refusal of a parameter that is not valid
// percent-encoding names it, so the document and the answer must agree.
func TestDocumentNamesPathParametersAsTheRoutes(t *testing.T) {
	a := bareAPI(t, config.Config{})
	registered := map[string]bool{}
	for _, p := range a.routes.Patterns() {
		_, path, _ := strings.Cut(p, " ")
		registered[path] = true
	}
	var doc struct {
		Paths map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openapi.JSON, &doc); err != nil {
		t.Fatal(err)
	}
	for path := range doc.Paths {
		if strings.Contains(path, "{") && !registered[path] {
			t.Errorf("openapi.json's %s: no route names its parameters so", path)
		}
	}
}

// bareAPI is an API over an empty Memory KV with cfg and a fresh signing key:
// enough to look at its routes.
func bareAPI(t *testing.T, cfg config.Config) *API {
	t.Helper()
	spec, err := token.GenerateKeySpec("k1")
	if err != nil {
		t.Fatal(err)
	}
	cfg.SigningKeys, cfg.Issuer = spec, "test"
	a, err := New(kv.NewMemory(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
