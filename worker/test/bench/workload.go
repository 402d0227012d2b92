//go:build !js

package bench

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
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
		check: func(t *Target, c int, b []byte) error {
			var out struct {
				Token string `json:"token"`
				User  struct {
					UserID   string `json:"user_id"`
					Verified bool   `json:"verified"`
				} `json:"user"`
			}
			if err := json.Unmarshal(b, &out); err != nil {
				return err
			}
			if out.Token == "" || !out.User.Verified || out.User.UserID != "bench-user-"+strconv.Itoa(c) {
				return fmt.Errorf("unexpected answer %s", truncate(b, 200))
			}
			return nil
		},
	},
	{
		Name: "POST /v1/widget/contacts",
		want: http.StatusOK,
		make: func(t *Target, c, seq int) (string, string, map[string]string, []byte) {
			// A new device every time: a first visit (one get that misses, one put).
			body := fmt.Sprintf(`{"device_id":%q,"name":"Visitor %d","email":"visitor%d@bench.example"}`, newUUIDv4(), seq, c)
			return "POST", "/v1/widget/contacts", widgetHeaders(t, ""), []byte(body)
		},
		check: func(t *Target, c int, b []byte) error {
			var out struct {
				Token   string `json:"token"`
				Contact struct {
					ID       string `json:"id"`
					Verified bool   `json:"verified"`
				} `json:"contact"`
			}
			if err := json.Unmarshal(b, &out); err != nil {
				return err
			}
			if out.Token == "" || out.Contact.ID == "" || out.Contact.Verified {
				return fmt.Errorf("unexpected answer %s", truncate(b, 200))
			}
			return nil
		},
	},
	{
		Name: "GET /v1/widget/sessions",
		want: http.StatusOK,
		make: func(t *Target, c, seq int) (string, string, map[string]string, []byte) {
			return "GET", "/v1/widget/sessions", widgetHeaders(t, t.users[c].token), nil
		},
		check: func(t *Target, c int, b []byte) error {
			var out struct {
				Items []struct {
					ID string `json:"id"`
				} `json:"items"`
			}
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
		check: func(t *Target, c int, b []byte) error {
			var out struct {
				Message struct {
					ID   string `json:"id"`
					Role string `json:"role"`
				} `json:"message"`
			}
			if err := json.Unmarshal(b, &out); err != nil {
				return err
			}
			if out.Message.ID == "" || out.Message.Role != "user" {
				return fmt.Errorf("unexpected answer %s", truncate(b, 200))
			}
			return nil
		},
	},
	{
		Name:  "POST /v1/widget/sessions",
		Extra: true,
		want:  http.StatusCreated,
		make: func(t *Target, c, seq int) (string, string, map[string]string, []byte) {
			return "POST", "/v1/widget/sessions", widgetHeaders(t, t.makers[c].token), []byte(`{"custom_data":{"page":"/pricing"}}`)
		},
		check: func(t *Target, c int, b []byte) error {
			var out struct {
				Session struct {
					ID string `json:"id"`
				} `json:"session"`
			}
			if err := json.Unmarshal(b, &out); err != nil {
				return err
			}
			if out.Session.ID == "" {
				return fmt.Errorf("unexpected answer %s", truncate(b, 200))
			}
			return nil
		},
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
		check: func(t *Target, c int, b []byte) error {
			var out struct {
				Keys []struct {
					Kid string `json:"kid"`
				} `json:"keys"`
			}
			if err := json.Unmarshal(b, &out); err != nil {
				return err
			}
			if len(out.Keys) == 0 || out.Keys[0].Kid == "" {
				return fmt.Errorf("unexpected answer %s", truncate(b, 200))
			}
			return nil
		},
	},
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
			var out struct {
				Session struct {
					ID string `json:"id"`
				} `json:"session"`
			}
			if err := t.doJSON(ctx, "POST", "/v1/widget/sessions", widgetHeaders(t, t.users[c].token), map[string]any{}, &out, http.StatusCreated); err != nil {
				return err
			}
			t.users[c].sessions = append(t.users[c].sessions, out.Session.ID)
		}
	}
	return nil
}

// newPrincipal makes a device with a contact token, or a verified user with
// a verified token, and checks the token against the target's JWKS.
func (t *Target) newPrincipal(ctx context.Context, userID, kind string) (principal, error) {
	p := principal{device: newUUIDv4(), userID: userID}
	var out struct {
		Token string `json:"token"`
	}
	switch kind {
	case "verified":
		err := t.doJSON(ctx, "POST", "/v1/users/authenticate", map[string]string{"Authorization": "Bearer " + t.org.APIKey},
			map[string]any{"user_id": userID, "name": userID}, &out, http.StatusOK)
		if err != nil {
			return p, err
		}
	case "contact":
		err := t.doJSON(ctx, "POST", "/v1/widget/contacts", widgetHeaders(t, ""),
			map[string]any{"device_id": p.device, "name": userID}, &out, http.StatusOK)
		if err != nil {
			return p, err
		}
	default:
		return p, fmt.Errorf("principal kind %q: want verified or contact", kind)
	}
	claims, err := VerifyToken(out.Token, t.jwks, t.Issuer(), t.org.ID)
	if err != nil {
		return p, fmt.Errorf("%s: a %s token does not verify against its JWKS: %w", t.Name, kind, err)
	}
	if claims["kind"] != kind {
		return p, fmt.Errorf("%s: token kind %v, want %s", t.Name, claims["kind"], kind)
	}
	p.token = out.Token
	return p, nil
}

// newUUIDv4 returns a random canonical UUID version 4.
func newUUIDv4() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
