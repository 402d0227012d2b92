package api_test

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/store"
)

// seedMessages adds n messages to the session id of o straight into the
// store (thousands of POSTs would be slow), content(i) each, and returns
// their ids.
func (e *env) seedMessages(o orgInfo, id string, n int, content func(i int) string) []string {
	e.t.Helper()
	s := store.New(e.mem, store.WithClock(e.clock.Now))
	sess, err := s.Session(context.Background(), o.ID, id)
	if err != nil {
		e.t.Fatal(err)
	}
	ids := make([]string, n)
	for i := range n {
		m := s.PrepareMessage(sess, identity.RoleUser, content(i), "")
		if _, err := s.AddMessage(context.Background(), sess, m); err != nil {
			e.t.Fatal(err)
		}
		ids[i] = m.ID
	}
	return ids
}

var nextLink = regexp.MustCompile(`^<([^>]+)>; rel="next"$`)

// readSession reads a session view and then each page its Link header
// names, and returns the message ids of each answer.
func readSession(t *testing.T, get func(path string) resp, path string) (pages [][]string, newest string) {
	t.Helper()
	for path != "" && len(pages) < 100 {
		r := get(path)
		if r.Status != 200 {
			t.Fatalf("GET %s: %d %s", path, r.Status, r.Raw)
		}
		var ids []string
		for _, m := range r.Body["messages"].([]any) {
			ids = append(ids, m.(map[string]any)["id"].(string))
		}
		pages = append(pages, ids)
		newest = r.Body["session"].(map[string]any)["last_message"].(map[string]any)["id"].(string)
		path = ""
		if l := r.Header.Get("Link"); l != "" {
			m := nextLink.FindStringSubmatch(l)
			if m == nil || len(ids) == 0 {
				t.Fatalf("Link %q after %d messages", l, len(ids))
			}
			if u, err := url.Parse(m[1]); err != nil || u.Query().Get("after") != ids[len(ids)-1] {
				t.Fatalf("Link %q: not after the last message %s", l, ids[len(ids)-1])
			}
			path = m[1]
		}
	}
	return pages, newest
}

func pageSizes(pages [][]string) string {
	var n []string
	for _, p := range pages {
		n = append(n, fmt.Sprint(len(p)))
	}
	return strings.Join(n, " ")
}

// TestASessionViewPastOneRead: a session of 6,000 messages answered
// GET /v1/sessions/{id} and the widget's GET with its oldest 5,000 and no
// sign of the others: an agent could not reach the newest, which are what
// they answer. Now an answer that does not hold the session's last message
// says so with a Link header (rel="next", the same view with after= its
// last message, exposed to the widget's page), and following it gives the
// rest, once each. Messages of 10,000 characters stop an answer at 4 MiB.
func TestASessionViewPastOneRead(t *testing.T) {
	e := newEnv(t)
	o := e.newOrg("shop", originA)
	tok := e.contact(o, device1)
	for _, c := range []struct {
		name    string
		n       int
		content func(int) string
		pages   string
	}{
		{"short", 6000, func(i int) string { return fmt.Sprint("m", i) }, "5000 1000"},
		{"10,000 characters", 500, func(i int) string { return fmt.Sprintf("%04d", i) + strings.Repeat("a", 9996) }, "411 89"},
	} {
		t.Run(c.name, func(t *testing.T) {
			id := e.newSession(o, tok, nil)["id"].(string)
			want := e.seedMessages(o, id, c.n, c.content)
			for view, get := range map[string]func(string) resp{
				"org": func(p string) resp { return e.server(o, "GET", p, nil) },
				"widget": func(p string) resp {
					r := e.widget(o, tok, "GET", p, nil, "Origin", originA)
					if r.Header.Get("Link") != "" && !strings.Contains(r.Header.Get("Access-Control-Expose-Headers"), "Link") {
						t.Errorf("Expose-Headers %q lacks Link", r.Header.Get("Access-Control-Expose-Headers"))
					}
					return r
				},
			} {
				path := map[string]string{"org": "/v1/sessions/", "widget": "/v1/widget/sessions/"}[view] + id
				pages, newest := readSession(t, get, path)
				if got := pageSizes(pages); got != c.pages {
					t.Errorf("%s: answers of %s messages, want %s", view, got, c.pages)
				}
				if all := strings.Join(slicesConcat(pages), ","); all != strings.Join(want, ",") || newest != want[len(want)-1] {
					t.Errorf("%s: not every message once, oldest first (newest %s, want %s)", view, newest, want[len(want)-1])
				}
			}
		})
	}
}

func slicesConcat(pages [][]string) []string {
	var out []string
	for _, p := range pages {
		out = append(out, p...)
	}
	return out
}

// TestAnExportPastOneRead: an export page read each session's messages
// only up to 5,000, so that a contact's export of a session of 6,000 ended
// (next_cursor null) without its newest 1,000. Now the session goes on to
// the next page, the same session object with the messages that follow,
// and the pages give every message once, oldest first.
func TestAnExportPastOneRead(t *testing.T) {
	e := newEnv(t)
	o := e.newOrg("shop", originA)
	tok := e.contact(o, device1)
	older := e.newSession(o, tok, nil)["id"].(string)
	olderIDs := e.seedMessages(o, older, 3, func(i int) string { return fmt.Sprint("old ", i) })
	id := e.newSession(o, tok, nil)["id"].(string)
	want := e.seedMessages(o, id, 6000, func(i int) string { return fmt.Sprint("m", i) })
	got := map[string][]string{}
	var sessions, sizes []string
	for cursor, n := "", 0; n == 0 || cursor != ""; n++ {
		path := "/v1/contacts/" + e.contactID(o, tok) + "/export"
		if cursor != "" {
			path += "?cursor=" + url.QueryEscape(cursor)
		}
		r := e.server(o, "GET", path, nil)
		if r.Status != 200 || n > 5 {
			t.Fatalf("page %d: %d %s", n, r.Status, r.Raw)
		}
		var size []string
		for _, it := range r.Body["sessions"].([]any) {
			s := it.(map[string]any)
			sid := s["session"].(map[string]any)["id"].(string)
			if len(sessions) == 0 || sessions[len(sessions)-1] != sid {
				sessions = append(sessions, sid)
			}
			msgs := s["messages"].([]any)
			for _, m := range msgs {
				got[sid] = append(got[sid], m.(map[string]any)["id"].(string))
			}
			size = append(size, fmt.Sprint(len(msgs)))
		}
		sizes = append(sizes, strings.Join(size, "+"))
		cursor, _ = r.Body["next_cursor"].(string)
	}
	if fmt.Sprint(sizes) != "[5000 1000+3]" {
		t.Errorf("pages of %v messages, want [5000 1000+3]", sizes)
	}
	if fmt.Sprint(sessions) != fmt.Sprint([]string{id, older}) {
		t.Errorf("sessions %v, want %v", sessions, []string{id, older})
	}
	if strings.Join(got[id], ",") != strings.Join(want, ",") || strings.Join(got[older], ",") != strings.Join(olderIDs, ",") {
		t.Errorf("not every message once: %d and %d, want %d and %d", len(got[id]), len(got[older]), len(want), len(olderIDs))
	}
}
