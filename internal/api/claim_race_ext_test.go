package api_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/kv"
)

// meetingLists holds each list call under prefix, once armed, after it
// listed, until n of them wait together (or 300 ms have passed).
type meetingLists struct {
	*kv.Memory
	prefix string
	meeting
}

func (m *meetingLists) List(ctx context.Context, o kv.ListOptions) (kv.ListResult, error) {
	r, err := m.Memory.List(ctx, o)
	if strings.HasPrefix(o.Prefix, m.prefix) {
		m.join()
	}
	return r, err
}

// TestClaimsOfOneDeviceAtOnce: two verified users claim one device's chats
// at once. Before, both listed the contact's sessions before either moved
// them: both were answered {claimed: [the session]}, and the loser's
// listing kept it (with its summary) though a get of it was 404. Now one
// gets it, the other {claimed: []}, and only the winner lists it.
func TestClaimsOfOneDeviceAtOnce(t *testing.T) {
	meet := &meetingLists{prefix: "owned/", meeting: meeting{wait: 300 * time.Millisecond}}
	a, mem, clock, cfg := buildAPIOver(t, nil, func(m *kv.Memory) kv.KV { meet.Memory = m; return meet })
	e := &env{harness: &harness{t: t, h: a, mem: mem}, clock: clock, cfg: cfg}
	o := e.newOrg("A", originA)
	c := e.contact(o, device1)
	s := e.newSession(o, c, nil)["id"].(string)
	users := []string{e.verified(o, map[string]any{"user_id": "one"}), e.verified(o, map[string]any{"user_id": "two"})}
	meet.arm(2)
	var wg sync.WaitGroup
	rs := make([]resp, 2)
	for i, v := range users {
		wg.Go(func() { rs[i] = e.widget(o, v, "POST", "/v1/widget/claim", nil, "X-Contact-Token", c) })
	}
	wg.Wait()
	meet.armed.Store(false)
	winners := 0
	for i, r := range rs {
		claimed, ok := r.Body["claimed"].([]any)
		if r.Status != 200 || !ok {
			t.Fatalf("claim %d: %d %s", i, r.Status, r.Raw)
		}
		listed := listIDs(t, e.widget(o, users[i], "GET", "/v1/widget/sessions", nil))
		got := e.widget(o, users[i], "GET", "/v1/widget/sessions/"+s, nil).Status
		switch {
		case len(claimed) == 1 && got == 200 && len(listed) == 1:
			winners++
		case len(claimed) == 0 && got == 404 && len(listed) == 0:
		default:
			t.Errorf("user %d: claimed %d, get %d, listed %v", i, len(claimed), got, listed)
		}
	}
	if winners != 1 {
		t.Errorf("%d users got the session", winners)
	}
}
