//go:build !js

package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"github.com/chatwidget/identity/worker/test/contract"
)

// benchOrigin is the page origin the load's widget calls carry, as a
// browser's would; the bench org allows it.
const benchOrigin = "https://shop.bench.example"

// Route is one measured route: how the c-th client makes its seq-th request,
// the status it must answer and what its body must hold.
type Route struct {
	Name  string // "POST /v1/users/authenticate"
	Extra bool   // measured beside the four routes of the goal
	want  int
	make  func(t *Target, client, seq int) (method, path string, hdr map[string]string, body []byte)
	check func(t *Target, client int, body []byte) error
}

// Routes are the routes the bench measures, in table order.
var Routes = []Route{
	{
		Name: "POST /v1/users/authenticate",
		want: http.StatusOK,
		make: func(t *Target, c, seq int) (string, string, map[string]string, []byte) {
			body := fmt.Sprintf(`{"user_id":"bench-user-%d","email":"user%d@bench.example","name":"Bench User %d","custom_data":{"plan":"pro","seats":%d}}`, c, c, c, seq%50)
			return "POST", "/v1/users/authenticate", map[string]string{"Authorization": "Bearer " + t.org.APIKey}, []byte(body)
		},
		check: answers(func(out contract.Authenticated, t *Target, c int) bool {
			return out.Token != "" && isTrue(out.User.Verified) && out.User.UserID != nil && *out.User.UserID == "bench-user-"+strconv.Itoa(c)
		}),
	},
	{
		Name: "POST /v1/widget/contacts",
		want: http.StatusOK,
		make: func(t *Target, c, seq int) (string, string, map[string]string, []byte) {
			// A new device every time: a first visit (one get that misses, one put).
			body := fmt.Sprintf(`{"device_id":%q,"name":"Visitor %d","email":"visitor%d@bench.example"}`, uuid.NewString(), seq, c)
			return "POST", "/v1/widget/contacts", widgetHeaders(t, ""), []byte(body)
		},
		check: answers(func(out contract.ContactSignedIn, t *Target, c int) bool {
			return out.Token != "" && out.Contact.ID != "" && !isTrue(out.Contact.Verified)
		}),
	},
	{
		Name: "GET /v1/widget/sessions",
		want: http.StatusOK,
		make: func(t *Target, c, seq int) (string, string, map[string]string, []byte) {
			return "GET", "/v1/widget/sessions", widgetHeaders(t, t.users[c].token), nil
		},
		check: func(t *Target, c int, b []byte) error {
			var out contract.SessionList
			if err := json.Unmarshal(b, &out); err != nil {
				return err
			}
			if len(out.Items) != len(t.users[c].sessions) {
				return fmt.Errorf("%d sessions listed, want %d", len(out.Items), len(t.users[c].sessions))
			}
			return nil
		},
	},
	{
		Name: "POST /v1/widget/sessions/{id}/messages",
		want: http.StatusCreated,
		make: func(t *Target, c, seq int) (string, string, map[string]string, []byte) {
			u := t.users[c]
			body := fmt.Sprintf(`{"content":"Hello from the bench, message %d of client %d."}`, seq, c)
			return "POST", "/v1/widget/sessions/" + u.sessions[seq%len(u.sessions)] + "/messages", widgetHeaders(t, u.token), []byte(body)
		},
		check: answers(func(out contract.MessageCreated, t *Target, c int) bool {
			return out.Message.ID != "" && out.Message.Role == "user"
		}),
	},
	{
		Name:  "POST /v1/widget/sessions",
		Extra: true,
		want:  http.StatusCreated,
		make: func(t *Target, c, seq int) (string, string, map[string]string, []byte) {
			return "POST", "/v1/widget/sessions", widgetHeaders(t, t.makers[c].token), []byte(`{"custom_data":{"page":"/pricing"}}`)
		},
		check: answers(func(out contract.SessionCreated, t *Target, c int) bool { return out.Session.ID != "" }),
	},
	{
		// No KV, no crypto: what any request costs in the runtime around the
		// handler (for ours, the JS↔Go bridge).
		Name:  "GET /.well-known/jwks.json",
		Extra: true,
		want:  http.StatusOK,
		make: func(t *Target, c, seq int) (string, string, map[string]string, []byte) {
			return "GET", "/.well-known/jwks.json", nil, nil
		},
		check: answers(func(out contract.JWKS, t *Target, c int) bool { return len(out.Keys) > 0 && out.Keys[0].Kid != "" }),
	},
}

// answers decodes an answer as T and refuses it unless ok.
func answers[T any](ok func(out T, t *Target, client int) bool) func(*Target, int, []byte) error {
	return func(t *Target, c int, b []byte) error {
		var out T
		if err := json.Unmarshal(b, &out); err != nil {
			return err
		}
		if !ok(out, t, c) {
			return fmt.Errorf("unexpected answer %s", truncate(b, 200))
		}
		return nil
	}
}

func isTrue(b *bool) bool { return b != nil && *b }

// widget is widgetHeaders as an option of the contract client.
func (t *Target) widget(token string) contract.Option {
	return contract.HeaderMap(widgetHeaders(t, token))
}

func widgetHeaders(t *Target, token string) map[string]string {
	h := map[string]string{"X-Widget-Token": t.org.WidgetToken, "Origin": benchOrigin}
	if token != "" {
		h["Authorization"] = "Bearer " + token
	}
	return h
}

// Setup gives the target its org and, for each of clients, a principal of
// kind ("verified" or "contact") owning sessions sessions, and one more
// principal that creates sessions. The Go worker makes the org through its
// admin API; the peer is seeded with the same org (from, which must then be
// set).
func (t *Target) Setup(ctx context.Context, from *Org, clients, sessions int, kind string) error {
	if t.Peer {
		if from == nil {
			return errors.New("the peer needs the org of the Go worker")
		}
		if err := t.Seed(ctx, *from); err != nil {
			return err
		}
		t.org = *from
	} else {
		org, err := t.CreateOrg(ctx, "bench", []string{benchOrigin})
		if err != nil {
			return err
		}
		t.org = org
	}
	jwks, err := t.JWKS(ctx)
	if err != nil {
		return err
	}
	t.jwks = jwks
	t.users = make([]principal, clients)
	t.makers = make([]principal, clients)
	for c := 0; c < clients; c++ {
		if t.users[c], err = t.newPrincipal(ctx, fmt.Sprintf("bench-user-%d", c), kind); err != nil {
			return err
		}
		if t.makers[c], err = t.newPrincipal(ctx, fmt.Sprintf("bench-maker-%d", c), kind); err != nil {
			return err
		}
		for s := 0; s < sessions; s++ {
			r, err := t.client.CreateSession(ctx, contract.SessionRequest{}, t.widget(t.users[c].token))
			if err := t.check(r.Response, err, http.StatusCreated); err != nil {
				return err
			}
			t.users[c].sessions = append(t.users[c].sessions, r.Value.Session.ID)
		}
	}
	return nil
}

// newPrincipal makes a device with a contact token, or a verified user with
// a verified token, and checks the token against the target's JWKS.
func (t *Target) newPrincipal(ctx context.Context, userID, kind string) (principal, error) {
	p := principal{device: uuid.NewString(), userID: userID}
	var token string
	switch kind {
	case "verified":
		r, err := t.client.Authenticate(ctx, contract.AuthenticateRequest{UserID: userID, Name: userID}, contract.Bearer(t.org.APIKey))
		if err := t.check(r.Response, err, http.StatusOK); err != nil {
			return p, err
		}
		token = r.Value.Token
	case "contact":
		r, err := t.client.CreateContact(ctx, contract.ContactRequest{DeviceID: p.device, Name: userID}, t.widget(""))
		if err := t.check(r.Response, err, http.StatusOK); err != nil {
			return p, err
		}
		token = r.Value.Token
	default:
		return p, fmt.Errorf("principal kind %q: want verified or contact", kind)
	}
	claims, err := contract.VerifyToken(token, t.jwks, t.Issuer(), t.org.ID)
	if err != nil {
		return p, fmt.Errorf("%s: a %s token does not verify against its JWKS: %w", t.Name, kind, err)
	}
	if claims["kind"] != kind {
		return p, fmt.Errorf("%s: token kind %v, want %s", t.Name, claims["kind"], kind)
	}
	p.token = token
	return p, nil
}
