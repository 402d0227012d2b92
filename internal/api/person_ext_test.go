package api_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/api"
	"github.com/chatwidget/identity/internal/config"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/internal/queue"
	"github.com/chatwidget/identity/internal/testclock"
	"github.com/chatwidget/identity/internal/token"
)

// queuedEnv is an env whose API sends its jobs to a queue.Memory.
type queuedEnv struct {
	*env
	q   *queue.Memory
	api *api.API
}

func newQueuedEnv(t *testing.T, change ...func(*config.Config)) *queuedEnv {
	t.Helper()
	return newQueuedEnvOver(t, nil, change...)
}

// newQueuedEnvOver is newQueuedEnv with the API's KV wrap(e.mem) when wrap
// is not nil (a KV that holds some calls, for the race tests).
func newQueuedEnvOver(t *testing.T, wrap func(*kv.Memory) kv.KV, change ...func(*config.Config)) *queuedEnv {
	t.Helper()
	spec, err := token.GenerateKeySpec("k1")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Config{AdminToken: adminToken, SigningKeys: spec, Issuer: "test", ContactTokenTTL: time.Hour, RateLimits: config.DefaultRateLimits}
	for _, c := range change {
		c(&cfg)
	}
	clock := testclock.New(time.Now().UTC().Truncate(time.Second).Add(123 * time.Millisecond))
	mem := kv.NewMemory()
	var store kv.KV = mem
	if wrap != nil {
		store = wrap(mem)
	}
	q := queue.NewMemory(clock.Now)
	a, err := api.New(store, cfg, api.WithClock(clock.Now), api.WithQueue(q))
	if err != nil {
		t.Fatal(err)
	}
	return &queuedEnv{env: &env{harness: &harness{t: t, h: a, mem: mem}, clock: clock, cfg: cfg}, q: q, api: a}
}

// drain delivers the queue's messages until none is left, moving the clock
// on to those that wait; it returns the KV operations of each delivery.
func (e *queuedEnv) drain() []int {
	e.t.Helper()
	var ops []int
	for range 1000 {
		if len(e.q.Pending()) == 0 {
			return ops
		}
		before := totalOps(e.mem)
		if e.q.Deliver(context.Background(), e.api.Consumer()) == 0 {
			e.clock.Advance(3 * time.Second)
			continue
		}
		ops = append(ops, totalOps(e.mem)-before)
	}
	e.t.Fatal("the queue never drained")
	return nil
}

func totalOps(m *kv.Memory) int {
	n := 0
	for _, v := range m.Ops() {
		n += v
	}
	return n
}

// person is someone the tests create data for, and the strings that are
// theirs alone.
type person struct {
	token    string
	sessions []string
	marks    []string
}

func (e *queuedEnv) chat(o orgInfo, p *person, sessions, messages int, mark string) {
	e.t.Helper()
	for i := range sessions {
		key := fmt.Sprintf("%s-s%d", mark, i)
		s := e.widget(o, p.token, "POST", "/v1/widget/sessions", map[string]any{"custom_data": map[string]any{"note": mark + "-custom"}}, "Idempotency-Key", key)
		if s.Status != 201 {
			e.t.Fatalf("session: %d %s", s.Status, s.Raw)
		}
		// The retry: an idempotency answer replayed.
		e.widget(o, p.token, "POST", "/v1/widget/sessions", map[string]any{"custom_data": map[string]any{"note": mark + "-custom"}}, "Idempotency-Key", key)
		id := s.Body["session"].(map[string]any)["id"].(string)
		p.sessions = append(p.sessions, id)
		for j := range messages {
			text := fmt.Sprintf("%s-message-%d-%d", mark, i, j)
			if j == 0 {
				text += strings.Repeat(" long", 300) // too long for metadata
			}
			path := "/v1/widget/sessions/" + id + "/messages"
			r := e.widget(o, p.token, "POST", path, map[string]any{"content": text}, "Idempotency-Key", fmt.Sprintf("%s-m%d-%d", mark, i, j))
			if r.Status != 201 {
				e.t.Fatalf("message: %d %s", r.Status, r.Raw)
			}
			e.clock.Advance(time.Millisecond)
		}
		r := e.server(o, "POST", "/v1/sessions/"+id+"/messages", map[string]any{"content": mark + "-agent-reply", "author_name": "Agent"}, "Idempotency-Key", mark+"-agent-"+id)
		if r.Status != 201 {
			e.t.Fatalf("agent: %d %s", r.Status, r.Raw)
		}
	}
	p.marks = append(p.marks, mark)
}

// holding returns the keys whose name, value or metadata holds one of marks
// (ASCII case folded).
func holding(mem *kv.Memory, marks ...string) []string {
	var out []string
	for k, v := range mem.Snapshot() {
		hay := strings.ToLower(k + "\x00" + v)
		for _, m := range marks {
			if strings.Contains(hay, strings.ToLower(m)) {
				out = append(out, k)
				break
			}
		}
	}
	return out
}

func TestErasingAUserLeavesNothingOfThem(t *testing.T) {
	e := newQueuedEnv(t)
	a, b := e.newOrg("A", originA), e.newOrg("B", originB)

	auth := e.server(a, "POST", "/v1/users/authenticate", map[string]any{"user_id": "ann-uid-7f3", "email": "Ann.Zed@Example.com", "name": "Ann Zedkowska", "custom_data": map[string]any{"plan": "ann-plan-q9"}})
	annID := auth.Body["user"].(map[string]any)["id"].(string)
	ann := &person{token: auth.Body["token"].(string)}
	ann.marks = []string{"ann-uid-7f3", "Ann.Zed@Example.com", "Ann Zedkowska", "ann-plan-q9", annID}
	e.chat(a, ann, 3, 4, "annchat")
	// A second device: another token of the same identity.
	ann2 := &person{token: e.verified(a, map[string]any{"user_id": "ann-uid-7f3"})}
	e.chat(a, ann2, 1, 2, "anndevice2")
	ann.marks = append(ann.marks, ann2.marks...)

	bob := &person{token: e.verified(a, map[string]any{"user_id": "bob-uid", "email": "bob@example.com", "name": "Bob"})}
	e.chat(a, bob, 2, 3, "bobchat")
	// The same user_id in another org is another person.
	other := &person{token: e.verified(b, map[string]any{"user_id": "ann-uid-7f3", "name": "Ann of B"})}
	e.chat(b, other, 1, 2, "orgbchat")
	carl := &person{token: e.contact(a, device1, map[string]any{"name": "Carl", "email": "carl@example.com"})}
	e.chat(a, carl, 1, 2, "carlchat")

	if got := e.server(a, "GET", "/v1/sessions/"+ann.sessions[0], nil); got.Body["session"].(map[string]any)["owner"].(map[string]any)["id"] != annID {
		t.Errorf("owner: %s", got.Raw)
	}
	before := e.mem.Snapshot()

	// Another org's key deletes nothing of A's.
	checkError(t, e.server(b, "GET", "/v1/users/export?user_id=bob-uid", nil), 404, "not_found")
	checkError(t, e.server(b, "DELETE", "/v1/users?user_id=bob-uid", nil), 404, "not_found")

	del := e.server(a, "DELETE", "/v1/users?user_id=ann-uid-7f3", nil)
	if del.Status != 202 {
		t.Fatalf("delete: %d %s", del.Status, del.Raw)
	}
	d := del.Body["deletion"].(map[string]any)
	if d["status"] != "pending" || d["requested_at"] == nil {
		t.Errorf("deletion %v", d)
	}
	id := d["id"].(string)
	checkError(t, e.server(b, "GET", "/v1/deletions/"+id, nil), 404, "not_found")

	// From the 202 on: tokens refused, sessions gone for everyone.
	for _, tok := range []string{ann.token, ann2.token} {
		checkError(t, e.widget(a, tok, "GET", "/v1/widget/sessions", nil), 401, "token_revoked")
		checkError(t, e.widget(a, tok, "POST", "/v1/widget/sessions", map[string]any{}), 401, "token_revoked")
	}
	for _, s := range append(ann.sessions, ann2.sessions...) {
		checkError(t, e.server(a, "GET", "/v1/sessions/"+s, nil), 404, "not_found")
		checkError(t, e.server(a, "POST", "/v1/sessions/"+s+"/messages", map[string]any{"content": "x"}), 404, "not_found")
	}
	if ids := listIDs(t, e.server(a, "GET", "/v1/sessions?limit=100", nil)); len(ids) != 3 {
		t.Errorf("org listing during the erasure: %d sessions, want bob's 2 and carl's 1", len(ids))
	}
	checkError(t, e.server(a, "GET", "/v1/users/export?user_id=ann-uid-7f3", nil), 404, "not_found")

	// Every batch delivered twice (after it was done) changes nothing.
	var ops []int
	for range 100 {
		pending := e.q.Pending()
		if len(pending) == 0 {
			break
		}
		ops = append(ops, e.drainOne()...)
		for _, m := range pending {
			if err := e.q.Send(context.Background(), m, 0); err != nil {
				t.Fatal(err)
			}
		}
		e.drainOne()
	}
	for _, n := range ops {
		if n >= 1000 {
			t.Errorf("a delivery took %d KV operations", n)
		}
	}
	t.Logf("KV operations per delivery: %v", ops)

	st := e.server(a, "GET", "/v1/deletions/"+id, nil)
	d = st.Body["deletion"].(map[string]any)
	if d["status"] != "done" || d["completed_at"] == nil || d["sessions"] != float64(4) || d["messages"] != float64(3*5+1*3) {
		t.Errorf("status %s", st.Raw)
	}
	inA := func(keys []string) []string {
		var out []string
		for _, k := range keys {
			if strings.Contains(k, "/"+a.ID+"/") {
				out = append(out, k)
			}
		}
		return out
	}
	if left := inA(holding(e.mem, ann.marks...)); len(left) > 0 {
		t.Errorf("left of the erased person: %v", left)
	}
	// Everyone else's, byte for byte: every key that held their data holds
	// it still, unchanged.
	after := e.mem.Snapshot()
	for _, p := range []*person{bob, other, carl} {
		n := 0
		for k, v := range before {
			if strings.HasPrefix(k, "rl/") || !strings.Contains(strings.ToLower(k+v), p.marks[0]) {
				continue
			}
			n++
			if after[k] != v {
				t.Errorf("%s: %s changed", p.marks[0], k)
			}
		}
		if n == 0 {
			t.Errorf("%s: no data?", p.marks[0])
		}
	}

	// Authenticating again starts an empty history.
	e.clock.Advance(time.Second)
	again := e.verified(a, map[string]any{"user_id": "ann-uid-7f3"})
	if ids := listIDs(t, e.widget(a, again, "GET", "/v1/widget/sessions", nil)); len(ids) != 0 {
		t.Errorf("after re-authentication: %v", ids)
	}
	ex := e.server(a, "GET", "/v1/users/export?user_id=ann-uid-7f3", nil)
	if ex.Status != 200 || len(ex.Body["sessions"].([]any)) != 0 || ex.Body["user"].(map[string]any)["id"] == annID {
		t.Errorf("export after re-authentication: %s", ex.Raw)
	}
	// Deleting again (nobody there): the same deletion, done.
	if r := e.server(a, "DELETE", "/v1/users?user_id=nobody-ever", nil); r.Status != 404 {
		t.Errorf("delete nobody: %d %s", r.Status, r.Raw)
	}
}

// drainOne delivers what is due now, and what waits on a clock moved on.
func (e *queuedEnv) drainOne() []int {
	var ops []int
	for range 50 {
		before := totalOps(e.mem)
		if e.q.Deliver(context.Background(), e.api.Consumer()) > 0 {
			ops = append(ops, totalOps(e.mem)-before)
			return ops
		}
		if len(e.q.Pending()) == 0 {
			return ops
		}
		e.clock.Advance(3 * time.Second)
	}
	return ops
}

func TestErasingAContactFromTheWidget(t *testing.T) {
	e := newQueuedEnv(t)
	a := e.newOrg("A", originA)
	carl := &person{token: e.contact(a, device1, map[string]any{"name": "Carl Vinterberg", "email": "Carl.V@Example.com", "custom_data": map[string]any{"k": "carl-custom-77"}})}
	me := e.widget(a, carl.token, "GET", "/v1/widget/me", nil)
	cid := me.Body["contact"].(map[string]any)["id"].(string)
	carl.marks = []string{cid, "Carl Vinterberg", "Carl.V@Example.com", "carl-custom-77"}
	e.chat(a, carl, 2, 3, "carlchat")
	dora := &person{token: e.contact(a, device2, map[string]any{"name": "Dora"})}
	e.chat(a, dora, 1, 2, "dorachat")

	list := e.server(a, "GET", "/v1/sessions?limit=100", nil)
	for _, it := range list.Body["items"].([]any) {
		o := it.(map[string]any)["owner"].(map[string]any)
		if o["kind"] != "contact" || (o["id"] != cid && o["id"] == nil) || len(o) != 2 {
			t.Errorf("a contact's owner %v", o)
		}
	}
	verified := e.verified(a, map[string]any{"email": "someone@example.com"})
	checkError(t, e.widget(a, verified, "DELETE", "/v1/widget/me", nil), 403, "forbidden")

	ex := e.server(a, "GET", "/v1/contacts/"+cid+"/export", nil)
	if ex.Status != 200 || len(ex.Body["sessions"].([]any)) != 2 || len(ex.Body["sessions"].([]any)[0].(map[string]any)["messages"].([]any)) != 4 {
		t.Fatalf("export: %s", ex.Raw)
	}
	r := e.widget(a, carl.token, "DELETE", "/v1/widget/me", nil)
	if r.Status != 202 {
		t.Fatalf("forget: %d %s", r.Status, r.Raw)
	}
	checkError(t, e.widget(a, carl.token, "GET", "/v1/widget/me", nil), 401, "token_revoked")
	checkError(t, e.widget(a, carl.token, "GET", "/v1/widget/sessions/"+carl.sessions[0], nil), 401, "token_revoked")
	checkError(t, e.server(a, "GET", "/v1/contacts/"+cid+"/export", nil), 404, "not_found")
	// The same device starts afresh, with another contact.
	fresh := e.contact(a, device1)
	if id := e.widget(a, fresh, "GET", "/v1/widget/me", nil).Body["contact"].(map[string]any)["id"]; id == cid {
		t.Errorf("the erased contact came back")
	}
	e.drain()
	st := e.server(a, "GET", "/v1/deletions/"+r.Body["deletion"].(map[string]any)["id"].(string), nil)
	if d := st.Body["deletion"].(map[string]any); d["status"] != "done" || d["sessions"] != float64(2) || d["messages"] != float64(8) {
		t.Errorf("status %s", st.Raw)
	}
	if left := holding(e.mem, carl.marks...); len(left) > 0 {
		t.Errorf("left of the erased contact: %v", left)
	}
	if got := len(holding(e.mem, "dorachat")); got == 0 {
		t.Errorf("dora's data went too")
	}
}

func TestErasingByAFoldedEmail(t *testing.T) {
	e := newQueuedEnv(t)
	a := e.newOrg("A", originA)
	tok := e.verified(a, map[string]any{"email": "Dora.Q@Example.com", "name": "Dora Quist"})
	dora := &person{token: tok}
	e.chat(a, dora, 1, 1, "dorachat")
	// user_id identities are not email ones, and no other character folds.
	for _, q := range []string{"user_id=dora.q@example.com", "email=" + url.QueryEscape("dora.q@exampl\u212a.com")} {
		if r := e.server(a, "DELETE", "/v1/users?"+q, nil); r.Status == 202 {
			t.Errorf("%s deleted dora", q)
		}
	}
	r := e.server(a, "DELETE", "/v1/users?email=DORA.q@example.COM", nil)
	if r.Status != 202 {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	e.drain()
	if left := holding(e.mem, "dorachat", "Dora.Q@Example.com", "Dora Quist"); len(left) > 0 {
		t.Errorf("left: %v", left)
	}
	// Deleting again answers the same deletion.
	again := e.server(a, "DELETE", "/v1/users?email=dora.q@example.com", nil)
	if again.Status != 202 || again.Body["deletion"].(map[string]any)["id"] != r.Body["deletion"].(map[string]any)["id"] {
		t.Errorf("again: %s", again.Raw)
	}
	for _, bad := range []string{"", "user_id=", "email=nope", "user_id=" + strings.Repeat("x", 300)} {
		if r := e.server(a, "DELETE", "/v1/users?"+bad, nil); r.Status != 400 {
			t.Errorf("%q: %d %s", bad, r.Status, r.Raw)
		}
		if r := e.server(a, "GET", "/v1/users/export?"+bad, nil); r.Status != 400 {
			t.Errorf("export %q: %d %s", bad, r.Status, r.Raw)
		}
	}
	for _, bad := range []string{"x", "../x", strings.Repeat("a", 36)} {
		checkError(t, e.server(a, "DELETE", "/v1/contacts/"+bad, nil), 404, "not_found")
		checkError(t, e.server(a, "GET", "/v1/deletions/"+bad, nil), 404, "not_found")
	}
}

// TestExportAndErasureOfALargeHistory: a person with hundreds of sessions
// and thousands of messages is exported page by page and erased batch by
// batch, each under Workers' limit of KV operations, and a lost queue
// message is sent again when the deletion's status is read.
func TestExportAndErasureOfALargeHistory(t *testing.T) {
	e := newQueuedEnv(t, func(c *config.Config) { c.RateLimits = config.RateLimits{} })
	a := e.newOrg("A", originA)
	big := &person{token: e.verified(a, map[string]any{"user_id": "big-uid"})}
	e.chat(a, big, 120, 9, "bigchat")

	var got []string
	msgs, cursor := 0, ""
	for page := 0; ; page++ {
		before := totalOps(e.mem)
		r := e.server(a, "GET", "/v1/users/export?user_id=big-uid&cursor="+url.QueryEscape(cursor), nil)
		if n := totalOps(e.mem) - before; n >= 1000 {
			t.Errorf("export page %d: %d KV operations", page, n)
		} else if page == 0 {
			t.Logf("export page: %d KV operations", n)
		}
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Raw)
		}
		items := r.Body["sessions"].([]any)
		if len(items) > 20 {
			t.Errorf("%d sessions a page", len(items))
		}
		for _, it := range items {
			m := it.(map[string]any)
			got = append(got, m["session"].(map[string]any)["id"].(string))
			msgs += len(m["messages"].([]any))
		}
		next, _ := r.Body["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	if len(got) != 120 || msgs != 120*10 {
		t.Fatalf("export: %d sessions, %d messages", len(got), msgs)
	}
	for i, id := range got {
		if id != big.sessions[len(big.sessions)-1-i] {
			t.Fatalf("export not newest first at %d", i)
		}
	}

	r := e.server(a, "DELETE", "/v1/users?user_id=big-uid", nil)
	id := r.Body["deletion"].(map[string]any)["id"].(string)
	// Three batches, then the queue loses the next message (wrangler dev
	// stopped): reading the status sends it again.
	for range 3 {
		e.drainOne()
	}
	for len(e.q.Pending()) > 0 {
		e.q.Deliver(context.Background(), ackAll{})
	}
	if st := e.server(a, "GET", "/v1/deletions/"+id, nil); st.Body["deletion"].(map[string]any)["status"] != "pending" || len(e.q.Pending()) != 0 {
		t.Fatalf("a job that moves is not sent again: %s, %d pending", st.Raw, len(e.q.Pending()))
	}
	e.clock.Advance(time.Minute) // it stalled
	if st := e.server(a, "GET", "/v1/deletions/"+id, nil); st.Body["deletion"].(map[string]any)["status"] != "pending" {
		t.Fatalf("%s", st.Raw)
	}
	e.server(a, "GET", "/v1/deletions/"+id, nil) // sent once a minute, not once a read
	if n := len(e.q.Pending()); n != 1 {
		t.Errorf("%d messages sent again", n)
	}
	ops := e.drain()
	for _, n := range ops {
		if n >= 1000 {
			t.Errorf("a batch took %d KV operations", n)
		}
	}
	t.Logf("%d batches after the loss, at most %d KV operations each", len(ops), maxOf(ops))
	st := e.server(a, "GET", "/v1/deletions/"+id, nil)
	if d := st.Body["deletion"].(map[string]any); d["status"] != "done" || d["sessions"] != float64(120) {
		t.Errorf("%s", st.Raw)
	}
	if left := holding(e.mem, "bigchat", "big-uid"); len(left) > 0 {
		t.Errorf("%d keys left, e.g. %s", len(left), left[0])
	}
}

func maxOf(xs []int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

// ackAll is a consumer that loses every message.
type ackAll struct{}

func (ackAll) Consume(_ context.Context, batch []queue.Message) []queue.Outcome {
	return make([]queue.Outcome, len(batch))
}

// FuzzDeletionJob: whatever a queue message holds, the deletion handler
// neither panics nor retries forever.
func FuzzDeletionJob(f *testing.F) {
	f.Add(`{"kind":"deletion","data":{"org":"o","id":"x","step":0}}`)
	f.Add(`{"kind":"deletion","data":{"org":"","id":"","step":-1}}`)
	f.Add(`{"kind":"deletion","data":[1,2]}`)
	f.Add(`{"kind":"deletion","data":{"org":"a/b","id":"00000000-0000-4000-8000-000000000000","step":99999999999}}`)
	spec, err := token.GenerateKeySpec("k1")
	if err != nil {
		f.Fatal(err)
	}
	a, err := api.New(kv.NewMemory(), config.Config{AdminToken: adminToken, SigningKeys: spec, Issuer: "test"}, api.WithQueue(queue.NewMemory(nil)))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		out := a.Consumer().Consume(context.Background(), []queue.Message{{ID: "m", Body: []byte(body), Attempts: 1}})
		if len(out) != 1 {
			t.Fatalf("%d outcomes", len(out))
		}
	})
}

// TestAReplayAfterAnErasureResurrectsNothing: the first answer of an
// Idempotency-Key given before the erasure is not replayed to the same
// identity authenticated again, and what it created is not written back.
func TestAReplayAfterAnErasureResurrectsNothing(t *testing.T) {
	e := newQueuedEnv(t)
	a := e.newOrg("A", originA)
	old := e.verified(a, map[string]any{"user_id": "phoenix"})
	first := e.widget(a, old, "POST", "/v1/widget/sessions", map[string]any{}, "Idempotency-Key", "k-1")
	oldID := first.Body["session"].(map[string]any)["id"].(string)
	if r := e.server(a, "DELETE", "/v1/users?user_id=phoenix", nil); r.Status != 202 {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	e.clock.Advance(time.Second)
	fresh := e.verified(a, map[string]any{"user_id": "phoenix"})
	// Before the job ran, and after.
	for _, when := range []string{"pending", "done"} {
		r := e.widget(a, fresh, "POST", "/v1/widget/sessions", map[string]any{}, "Idempotency-Key", "k-1-"+when)
		if r.Status != 201 {
			t.Fatalf("%s: %d %s", when, r.Status, r.Raw)
		}
		again := e.widget(a, fresh, "POST", "/v1/widget/sessions", map[string]any{}, "Idempotency-Key", "k-1")
		if again.Status != 201 || again.Body["session"].(map[string]any)["id"] == oldID || again.Header.Get("Idempotent-Replayed") != "" && when == "pending" {
			t.Errorf("%s: the erased answer replayed: %d %s", when, again.Status, again.Raw)
		}
		checkError(t, e.server(a, "GET", "/v1/sessions/"+oldID, nil), 404, "not_found")
		if ids := listIDs(t, e.widget(a, fresh, "GET", "/v1/widget/sessions", nil)); slicesContains(ids, oldID) {
			t.Errorf("%s: the erased session is listed", when)
		}
		e.drain()
	}
}

func slicesContains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// A claimed session's idempotency answers stay in the scope of the contact
// that made them. Erasing the user who claimed it removes them too, and a
// retry of the contact's, before the job ran or after, brings back neither
// the session nor its message; the contact's other answers still replay.
func TestErasingAClaimerRemovesTheContactsAnswersAboutItsSessions(t *testing.T) {
	e := newQueuedEnv(t)
	a := e.newOrg("A", originA)
	d1 := e.contact(a, device1)
	create := func(key, mark string) resp {
		return e.widget(a, d1, "POST", "/v1/widget/sessions", map[string]any{"external_id": "ws-" + mark, "custom_data": map[string]any{"note": mark}}, "Idempotency-Key", key)
	}
	post := func(sess, key, mark string) resp {
		return e.widget(a, d1, "POST", "/v1/widget/sessions/"+sess+"/messages", map[string]any{"content": mark + " message"}, "Idempotency-Key", key)
	}
	claimed := create("k-claimed", "zzclaimedzz").Body["session"].(map[string]any)["id"].(string)
	post(claimed, "m-claimed", "zzclaimedzz")
	kept := create("k-kept", "kept").Body["session"].(map[string]any)["id"].(string)
	post(kept, "m-kept", "kept")
	u := e.verified(a, map[string]any{"user_id": "u-1", "external_id": "ws-zzclaimedzz"})
	if got := claimedIDs(t, e.claim(a, u, d1)); len(got) != 1 || got[0] != claimed {
		t.Fatalf("claimed %q, want %s", got, claimed)
	}
	if r := e.server(a, "DELETE", "/v1/users?user_id=u-1", nil); r.Status != 202 {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	var fresh any // the session the retry made, served as a new request
	for _, when := range []string{"pending", "done"} {
		again := create("k-claimed", "zzclaimedzz")
		id := again.Body["session"].(map[string]any)["id"]
		if again.Status != 201 || id == claimed || (fresh == nil) != (again.Header.Get("Idempotent-Replayed") == "") || fresh != nil && id != fresh {
			t.Errorf("%s: the claimed and erased session replayed: %d %v %s", when, again.Status, again.Header, again.Raw)
		}
		fresh = id
		checkError(t, post(claimed, "m-claimed", "zzclaimedzz"), 404, "not_found")
		checkError(t, e.server(a, "GET", "/v1/sessions/"+claimed, nil), 404, "not_found")
		for _, r := range []resp{create("k-kept", "kept"), post(kept, "m-kept", "kept")} {
			if r.Status != 201 || r.Header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("%s: the contact's own answer: %d %v", when, r.Status, r.Header)
			}
		}
		e.drain()
		if slicesContains(listIDs(t, e.server(a, "GET", "/v1/sessions?limit=100", nil)), claimed) {
			t.Errorf("%s: the erased session is listed", when)
		}
		// The retries above stored a new session of the contact's, with the
		// same note: only the first one's answers must be gone.
		for _, k := range holding(e.mem, claimed) {
			t.Errorf("%s: %s still names the erased session", when, k)
		}
	}
}

// More answers in the contact's scope than one batch of the erasure
// removes: the batches that follow go on with them.
func TestErasingAClaimerRemovesManyAnswersAcrossBatches(t *testing.T) {
	e := newQueuedEnv(t, func(c *config.Config) { c.RateLimits = config.RateLimits{} })
	a := e.newOrg("A", originA)
	d1 := e.contact(a, device1)
	claimed := e.newSession(a, d1, map[string]any{"external_id": "ws-1"})["id"].(string)
	kept := e.newSession(a, d1, nil)["id"].(string)
	for i := range 250 {
		sess := claimed
		if i%5 == 0 {
			sess = kept
		}
		r := e.widget(a, d1, "POST", "/v1/widget/sessions/"+sess+"/messages", map[string]any{"content": "m"}, "Idempotency-Key", fmt.Sprint("m-", i))
		if r.Status != 201 {
			t.Fatalf("post: %d %s", r.Status, r.Raw)
		}
	}
	u := e.verified(a, map[string]any{"user_id": "u-1", "external_id": "ws-1"})
	claimedIDs(t, e.claim(a, u, d1))
	e.server(a, "DELETE", "/v1/users?user_id=u-1", nil)
	if batches := len(e.drain()); batches < 4 {
		t.Errorf("the erasure took %d batches; the test wants several", batches)
	}
	if left := holding(e.mem, claimed); len(left) > 0 {
		t.Errorf("%d keys still name the erased session, e.g. %s", len(left), left[0])
	}
	if n := len(holding(e.mem, `"session_id":"`+kept)); n < 100 {
		t.Errorf("%d keys hold the kept session's messages or answers, want at least its 50 messages and their 50 answers", n)
	}
}
