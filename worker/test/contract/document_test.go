//go:build !js

package contract_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chatwidget/identity/worker/test/contract"
)

// TestDocumentRefusesWhatTheContractDoesNot: answers that the contract
// rules out but a loose schema would let through (a GET /v1/webhook that
// shows the secret, a webhook answer with more than {webhook}, an
// Idempotent-Replayed other than true) do not fit the document, and the
// same answers without the fault do: a worker that drifted into them would
// fail the suites, not pass them.
func TestDocumentRefusesWhatTheContractDoesNot(t *testing.T) {
	const (
		hook    = `{"url":"https://h.example/x","events":["message.created"],"created_at":"2026-01-01T00:00:00Z"`
		secret  = `"secret":"whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="`
		session = `{"session":{"id":"s1","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z","verified":false,` +
			`"external_id":null,"non_verified_custom_data":null,"last_message":null,"claimed_at":null}}`
	)
	var status int
	var body, replayed string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if replayed != "" {
			w.Header().Set("Idempotent-Replayed", replayed)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	v, err := contract.Load()
	if err != nil {
		t.Fatal(err)
	}
	c := contract.New(srv.URL, v, contract.Bearer("sk_x"))
	ctx := context.Background()
	for _, tt := range []struct {
		name, method, path string
		req                any
		status             int
		body, replayed     string
		fits               bool
	}{
		{"GET webhook", "GET", "/v1/webhook", nil, 200, `{"webhook":` + hook + `}}`, "", true},
		{"GET webhook with its secret", "GET", "/v1/webhook", nil, 200, `{"webhook":` + hook + `,` + secret + `}}`, "", false},
		{"GET webhook with more than webhook", "GET", "/v1/webhook", nil, 200, `{"webhook":` + hook + `},"secret":"x"}`, "", false},
		{"PUT webhook first set", "PUT", "/v1/webhook", map[string]any{"url": "https://h.example/x"}, 200, `{"webhook":` + hook + `,` + secret + `}}`, "", true},
		{"PUT webhook with more than webhook", "PUT", "/v1/webhook", map[string]any{"url": "https://h.example/x"}, 200, `{"webhook":` + hook + `},"extra":1}`, "", false},
		{"a replayed session", "POST", "/v1/widget/sessions", map[string]any{}, 201, session, "true", true},
		{"Idempotent-Replayed: yes", "POST", "/v1/widget/sessions", map[string]any{}, 201, session, "yes", false},
	} {
		status, body, replayed = tt.status, tt.body, tt.replayed
		r, err := c.Do(ctx, tt.method, tt.path, tt.req, contract.WidgetToken("pk_x"))
		if err != nil {
			t.Fatal(err)
		}
		if r.RequestErr != nil {
			t.Fatalf("%s: the request does not fit: %v", tt.name, r.RequestErr)
		}
		if got := r.AnswerErr == nil; got != tt.fits {
			t.Errorf("%s: fits the document: %v, want %v (%v)", tt.name, got, tt.fits, r.AnswerErr)
		}
	}
}
