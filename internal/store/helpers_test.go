package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/internal/store"
)

var ctx = context.Background()

// t0 is the tests' fixed clock reading: the clock stands still, and ids must
// still be strictly increasing.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return t0 }

const (
	orgA    = "11111111-1111-4111-8111-111111111111"
	orgB    = "22222222-2222-4222-8222-222222222222"
	device1 = "0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
	device2 = "5d9c1e2f-3a4b-4c5d-9e6f-7a8b9c0d1e2f"
)

func newStore(k kv.KV) *store.Store { return store.New(k, store.WithClock(fixedClock)) }

// smallPages is a KV whose list calls return at most n keys, as a KV may when
// keys expire between calls: it drives the store's listings across many KV
// pages with few keys.
type smallPages struct {
	kv.KV
	n int
}

func (s smallPages) List(ctx context.Context, opts kv.ListOptions) (kv.ListResult, error) {
	if opts.Limit == 0 || opts.Limit > s.n {
		opts.Limit = s.n
	}
	return s.KV.List(ctx, opts)
}

// recorder remembers the options of every put.
type recorder struct {
	kv.KV
	mu   sync.Mutex
	puts map[string]kv.PutOptions
}

func newRecorder(k kv.KV) *recorder { return &recorder{KV: k, puts: map[string]kv.PutOptions{}} }

func (r *recorder) Put(ctx context.Context, key string, value []byte, opts kv.PutOptions) error {
	r.mu.Lock()
	r.puts[key] = opts
	r.mu.Unlock()
	return r.KV.Put(ctx, key, value, opts)
}

func (r *recorder) withPrefix(prefix string) map[string]kv.PutOptions {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]kv.PutOptions{}
	for k, o := range r.puts {
		if strings.HasPrefix(k, prefix) {
			out[k] = o
		}
	}
	return out
}

// broken is a KV whose every call fails.
type broken struct{}

var errDown = errors.New("kv is down")

func (broken) Get(context.Context, string) ([]byte, bool, error)        { return nil, false, errDown }
func (broken) Put(context.Context, string, []byte, kv.PutOptions) error { return errDown }
func (broken) List(context.Context, kv.ListOptions) (kv.ListResult, error) {
	return kv.ListResult{}, errDown
}
func (broken) Delete(context.Context, string) error { return errDown }

func contactOwner(device, claimedEmail string) identity.Owner {
	p := identity.Principal{OrgID: orgA, Kind: identity.KindContact, Subject: device}
	return p.Owner(claimedEmail)
}

func verifiedOwner(userID, email string) identity.Owner {
	p := identity.Principal{OrgID: orgA, Kind: identity.KindVerified, Subject: identity.KeyOf(userID, email).String(), UserID: userID, Email: identity.FoldEmail(email)}
	return p.Owner("")
}

func createSession(t testing.TB, s *store.Store, org string, owner identity.Owner, ext string, data identity.CustomData) *identity.Session {
	t.Helper()
	sess := s.PrepareSession(store.NewSession{OrgID: org, Owner: owner, ExternalID: ext, CustomData: data})
	if err := s.CreateSession(ctx, sess); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	return sess
}

func addMessage(t testing.TB, s *store.Store, sess *identity.Session, role identity.Role, content string) *identity.Message {
	t.Helper()
	msg := s.PrepareMessage(sess, role, content, "")
	summaryErr, err := s.AddMessage(ctx, sess, msg)
	if err != nil || summaryErr != nil {
		t.Fatalf("AddMessage: %v %v", err, summaryErr)
	}
	return msg
}

func ids(items []*identity.Session) []string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = s.ID
	}
	return out
}

func bigData(n int) identity.CustomData {
	return identity.CustomData{"blob": strings.Repeat("x", n)}
}

func opsDelta(before, after map[string]int) map[string]int {
	out := map[string]int{}
	for _, k := range []string{"get", "put", "list", "delete"} {
		if d := after[k] - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// jsonRound returns v as it comes back from JSON.
func jsonRound(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// runDeletion runs the org A deletion id's batches from step from until it
// is done, up to step 9.
func runDeletion(t *testing.T, s *store.Store, id string, from int) {
	t.Helper()
	send := func(int, time.Duration) error { return nil }
	for step := from; step < 10; step++ {
		r, err := s.Step(ctx, orgA, id, step, send)
		if err != nil {
			t.Fatal(err)
		}
		if r.Done {
			return
		}
	}
	t.Fatalf("deletion %s not done by step 9", id)
}
