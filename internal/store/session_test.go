package store_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/internal/store"
)

// fixture is 25 sessions of org A by four principals (two devices, two
// verified users), some with external ids, some too large for their
// summary to ride in list metadata, plus sessions of org B that must never
// show up.
type fixture struct {
	s       *store.Store
	mem     *kv.Memory
	created []*identity.Session // oldest first
	owners  []identity.Owner    // the four principals
}

func newFixture(t testing.TB, k func(*kv.Memory) kv.KV) *fixture {
	t.Helper()
	mem := kv.NewMemory()
	f := &fixture{mem: mem, s: newStore(k(mem))}
	f.owners = []identity.Owner{
		contactOwner(device1, "ann@example.com"), // a contact claiming ann's email
		contactOwner(device2, ""),
		verifiedOwner("", "Ann@Example.com"),
		verifiedOwner("u-1", "bob@example.com"),
	}
	for i := range 25 {
		ext := ""
		switch i % 5 {
		case 0:
			ext = "ws-1"
		case 1:
			ext = "ws-2"
		}
		var data identity.CustomData
		if i%7 == 3 {
			data = bigData(1500) // the summary does not fit 1024 bytes
		} else if i%2 == 0 {
			data = identity.CustomData{"i": float64(i)}
		}
		f.created = append(f.created, createSession(t, f.s, orgA, f.owners[i%4], ext, data))
		if i%6 == 0 {
			createSession(t, f.s, orgB, f.owners[i%4], ext, nil)
		}
	}
	return f
}

func plainKV(m *kv.Memory) kv.KV { return m }

// expected returns the ids of the fixture's org A sessions that keep says to
// keep, newest first: what a listing must return.
func (f *fixture) expected(keep func(*identity.Session) bool) []string {
	var out []string
	for i := len(f.created) - 1; i >= 0; i-- {
		if keep(f.created[i]) {
			out = append(out, f.created[i].ID)
		}
	}
	return out
}

// pageAll pages through a listing with limit, checking every page, and
// returns the ids in the order returned.
func pageAll(t *testing.T, limit int, fullPages bool, list func(cursor string) ([]*identity.Session, string, error)) ([]string, []*identity.Session) {
	t.Helper()
	var got []string
	var items []*identity.Session
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 200 {
			t.Fatal("listing does not end")
		}
		page, next, err := list(cursor)
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		if len(page) > limit {
			t.Fatalf("page %d has %d items, limit %d", pages, len(page), limit)
		}
		if fullPages && next != "" && len(page) != limit {
			t.Errorf("page %d has %d items and a next cursor, limit %d", pages, len(page), limit)
		}
		got = append(got, ids(page)...)
		items = append(items, page...)
		if next == "" {
			break
		}
		if next == cursor {
			t.Fatalf("page %d: cursor did not move", pages)
		}
		cursor = next
	}
	return got, items
}

type filterCase struct {
	name   string
	filter store.SessionFilter
	keep   func(*identity.Session) bool
}

func filterCases() []filterCase {
	str := func(s string) *string { return &s }
	yes, no := true, false
	return []filterCase{
		{"none", store.SessionFilter{}, func(*identity.Session) bool { return true }},
		{"external id ws-1", store.SessionFilter{ExternalID: str("ws-1")},
			func(s *identity.Session) bool { return s.ExternalIDValue() == "ws-1" }},
		{"external id ws-2", store.SessionFilter{ExternalID: str("ws-2")},
			func(s *identity.Session) bool { return s.ExternalIDValue() == "ws-2" }},
		{"external id none of them", store.SessionFilter{ExternalID: str("ws-9")},
			func(s *identity.Session) bool { return false }},
		{"verified", store.SessionFilter{Verified: &yes},
			func(s *identity.Session) bool { return s.Owner.Verified }},
		{"not verified", store.SessionFilter{Verified: &no},
			func(s *identity.Session) bool { return !s.Owner.Verified }},
		{"email, any case", store.SessionFilter{Email: "ANN@example.COM"},
			func(s *identity.Session) bool { return strings.EqualFold(s.Owner.Email, "ann@example.com") }},
		{"email of verified only", store.SessionFilter{Email: "ann@example.com", Verified: &yes},
			func(s *identity.Session) bool { return s.Owner.Verified && s.Owner.Email == "ann@example.com" }},
		{"user_id", store.SessionFilter{UserID: "u-1"},
			func(s *identity.Session) bool { return s.Owner.Verified && s.Owner.UserID == "u-1" }},
		{"user_id and external id", store.SessionFilter{UserID: "u-1", ExternalID: str("ws-2")},
			func(s *identity.Session) bool { return s.Owner.UserID == "u-1" && s.ExternalIDValue() == "ws-2" }},
		{"user_id of nobody", store.SessionFilter{UserID: "nobody"},
			func(s *identity.Session) bool { return false }},
	}
}

// TestListOrgSessionsPagination: newest first, every matching session exactly
// once across pages, for several page sizes and filters that skip many, over
// a KV that returns all keys at once and over ones that return few per call.
func TestListOrgSessionsPagination(t *testing.T) {
	kvs := []struct {
		name string
		wrap func(*kv.Memory) kv.KV
		full bool // every page but the last is full
	}{
		{"memory", plainKV, true},
		{"kv pages of 1", func(m *kv.Memory) kv.KV { return smallPages{m, 1} }, false},
		{"kv pages of 4", func(m *kv.Memory) kv.KV { return smallPages{m, 4} }, false},
		{"kv pages of 10", func(m *kv.Memory) kv.KV { return smallPages{m, 10} }, false},
	}
	for _, k := range kvs {
		t.Run(k.name, func(t *testing.T) {
			f := newFixture(t, k.wrap)
			for _, fc := range filterCases() {
				want := f.expected(fc.keep)
				for _, limit := range []int{1, 2, 3, 7, 25, 100} {
					t.Run(fmt.Sprintf("%s/limit %d", fc.name, limit), func(t *testing.T) {
						got, _ := pageAll(t, limit, k.full, func(c string) ([]*identity.Session, string, error) {
							return f.s.ListOrgSessions(ctx, orgA, fc.filter, c, limit)
						})
						if !slices.Equal(got, want) {
							t.Errorf("got  %d %q\nwant %d %q", len(got), got, len(want), want)
						}
					})
				}
			}
		})
	}
}

func TestListOwnerSessionsPagination(t *testing.T) {
	for _, wrap := range []func(*kv.Memory) kv.KV{plainKV, func(m *kv.Memory) kv.KV { return smallPages{m, 3} }} {
		f := newFixture(t, wrap)
		str := func(s string) *string { return &s }
		for oi, owner := range f.owners {
			for _, ext := range []*string{nil, str("ws-1"), str("ws-2")} {
				want := f.expected(func(s *identity.Session) bool {
					return s.Owner.Key == owner.Key && (ext == nil || s.ExternalIDValue() == *ext)
				})
				if len(want) == 0 {
					t.Fatalf("fixture: owner %d has no sessions", oi)
				}
				for _, limit := range []int{1, 2, 3, 7} {
					name := fmt.Sprintf("owner %d/ext %v/limit %d", oi, ext != nil, limit)
					t.Run(name, func(t *testing.T) {
						got, items := pageAll(t, limit, false, func(c string) ([]*identity.Session, string, error) {
							return f.s.ListOwnerSessions(ctx, orgA, owner.Key, store.SessionFilter{ExternalID: ext}, c, limit)
						})
						if !slices.Equal(got, want) {
							t.Errorf("got  %q\nwant %q", got, want)
						}
						for _, s := range items {
							if s.Owner.Key != owner.Key || s.OrgID != orgA {
								t.Errorf("listed %+v", s)
							}
						}
					})
				}
			}
		}
	}
}

// TestListedSessionsAreComplete: what a listing returns is the session as
// stored, partial summaries included (their custom data with them).
func TestListedSessionsAreComplete(t *testing.T) {
	f := newFixture(t, plainKV)
	items, next, err := f.s.ListOrgSessions(ctx, orgA, store.SessionFilter{}, "", 100)
	if err != nil || next != "" {
		t.Fatalf("list: %v %q", err, next)
	}
	if len(items) != len(f.created) {
		t.Fatalf("%d items", len(items))
	}
	byID := map[string]*identity.Session{}
	for _, s := range f.created {
		byID[s.ID] = s
	}
	partials := 0
	for _, got := range items {
		want := byID[got.ID]
		if want == nil {
			t.Fatalf("unknown session %s", got.ID)
		}
		if len(want.NonVerifiedCustomData) > 0 && want.NonVerifiedCustomData["blob"] != nil {
			partials++
		}
		if !sameSession(got, want) {
			t.Errorf("listed\n%+v\nwant\n%+v", got, want)
		}
	}
	if partials == 0 {
		t.Fatal("fixture has no partial summaries")
	}
}

func sameSession(a, b *identity.Session) bool {
	return a.ID == b.ID && a.OrgID == b.OrgID && a.Owner == b.Owner && a.Verified == b.Verified &&
		a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt) &&
		a.ExternalIDValue() == b.ExternalIDValue() && (a.ExternalID == nil) == (b.ExternalID == nil) &&
		reflect.DeepEqual(jsonRound(a.NonVerifiedCustomData), jsonRound(b.NonVerifiedCustomData)) &&
		sameMessage(a.LastMessage, b.LastMessage)
}

func sameMessage(a, b *identity.Message) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.ID == b.ID && a.SessionID == b.SessionID && a.Role == b.Role && a.Content == b.Content &&
		a.AuthorName == b.AuthorName && a.CreatedAt.Equal(b.CreatedAt)
}

// TestListPageCostsOneListCall: a page of 20 sessions whose summaries fit
// their metadata is one KV list call and no get.
func TestListPageCostsOneListCall(t *testing.T) {
	mem := kv.NewMemory()
	s := newStore(mem)
	owner := contactOwner(device1, "")
	for i := range 25 {
		createSession(t, s, orgA, owner, "", identity.CustomData{"n": float64(i)})
	}
	for _, tc := range []struct {
		name string
		list func() ([]*identity.Session, string, error)
	}{
		{"org", func() ([]*identity.Session, string, error) {
			return s.ListOrgSessions(ctx, orgA, store.SessionFilter{}, "", 20)
		}},
		{"owner", func() ([]*identity.Session, string, error) {
			return s.ListOwnerSessions(ctx, orgA, owner.Key, store.SessionFilter{}, "", 20)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := mem.Ops()
			items, next, err := tc.list()
			delta := opsDelta(before, mem.Ops())
			if err != nil || len(items) != 20 || next == "" {
				t.Fatalf("%d items, next %q, %v", len(items), next, err)
			}
			if !reflect.DeepEqual(delta, map[string]int{"list": 1}) {
				t.Errorf("a page of 20 cost %v, want exactly 1 list and 0 gets", delta)
			}
		})
	}
}

// listedKeys is a KV that counts the keys its list calls return: each is
// handed to the worker with its metadata, which Go decodes.
type listedKeys struct {
	kv.KV
	keys, calls int
}

func (l *listedKeys) List(ctx context.Context, opts kv.ListOptions) (kv.ListResult, error) {
	res, err := l.KV.List(ctx, opts)
	l.keys += len(res.Keys)
	l.calls++
	return res, err
}

// TestListPageAsksKVForTheKeysItNeeds: a page of 20 of an owner's 60
// sessions reads 20 keys from KV, not all 60, and so does each page after
// it, the third the last (no empty page after it); a filter that passes
// keys over still fills its pages, and every session is listed once.
func TestListPageAsksKVForTheKeysItNeeds(t *testing.T) {
	lk := &listedKeys{KV: kv.NewMemory()}
	s := newStore(lk)
	owner := contactOwner(device1, "")
	var all, ws1 []string
	for i := range 60 {
		ext := ""
		if i%3 == 0 {
			ext = "ws-1"
		}
		sess := createSession(t, s, orgA, owner, ext, nil)
		all = append(all, sess.ID)
		if ext != "" {
			ws1 = append(ws1, sess.ID)
		}
	}
	for _, tc := range []struct {
		name     string
		f        store.SessionFilter
		want     []string
		maxKeys  int // KV keys read for the whole listing
		maxCalls int
		pages    int
	}{
		{"unfiltered", store.SessionFilter{}, all, 60, 3, 3},
		{"external id", store.SessionFilter{ExternalID: new("ws-1")}, ws1, 2 * 60, 2, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lk.keys, lk.calls = 0, 0
			var got []string
			cursor, pages := "", 0
			for ; ; pages++ {
				keys := lk.keys
				items, next, err := s.ListOwnerSessions(ctx, orgA, owner.Key, tc.f, cursor, 20)
				if err != nil || pages > 10 {
					t.Fatalf("page %d: %v", pages, err)
				}
				if tc.f.ExternalID == nil && lk.keys-keys > 20 {
					t.Errorf("page %d read %d keys from KV for 20 sessions", pages, lk.keys-keys)
				}
				for _, it := range items {
					got = append(got, it.ID)
				}
				if next == "" {
					break
				}
				cursor = next
			}
			if pages+1 != tc.pages {
				t.Errorf("%d pages, want %d", pages+1, tc.pages)
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tc.want))
			if !slices.Equal(got, want) {
				t.Errorf("listed %d sessions, want the %d", len(got), len(want))
			}
			if lk.keys > tc.maxKeys || lk.calls > tc.maxCalls {
				t.Errorf("the listing read %d keys in %d list calls, want at most %d in %d", lk.keys, lk.calls, tc.maxKeys, tc.maxCalls)
			}
		})
	}
}

// TestPartialSummary: a session whose custom data makes its summary exceed
// KV's 1024 bytes of metadata still lists, with its data, for one get.
func TestPartialSummary(t *testing.T) {
	mem := kv.NewMemory()
	s := newStore(mem)
	owner := contactOwner(device1, "")
	small := createSession(t, s, orgA, owner, "ws", identity.CustomData{"a": "b"})
	big := createSession(t, s, orgA, owner, "ws", bigData(1200))
	// A long last message makes a summary partial too.
	long := createSession(t, s, orgA, owner, "", nil)
	addMessage(t, s, long, identity.RoleUser, strings.Repeat("m", 2000))

	res, _ := mem.List(ctx, kv.ListOptions{Prefix: "sessions/" + orgA + "/"})
	for _, k := range res.Keys {
		if len(k.Metadata) > kv.MaxMetadataBytes {
			t.Errorf("metadata of %d bytes", len(k.Metadata))
		}
	}

	before := mem.Ops()
	items, _, err := s.ListOrgSessions(ctx, orgA, store.SessionFilter{}, "", 10)
	delta := opsDelta(before, mem.Ops())
	if err != nil || len(items) != 3 {
		t.Fatalf("%d items, %v", len(items), err)
	}
	if !slices.Equal(ids(items), []string{long.ID, big.ID, small.ID}) {
		t.Errorf("order %q", ids(items))
	}
	if !sameSession(items[1], big) {
		t.Errorf("partial session listed as %+v, want %+v", items[1], big)
	}
	if items[1].NonVerifiedCustomData["blob"] != big.NonVerifiedCustomData["blob"] {
		t.Error("partial session listed without its custom data")
	}
	if items[0].LastMessage == nil || len(items[0].LastMessage.Content) != 2000 {
		t.Errorf("long last message listed as %+v", items[0].LastMessage)
	}
	if delta["list"] != 1 || delta["get"] != 2 {
		t.Errorf("ops %v, want 1 list and 2 gets (one per partial)", delta)
	}

	// A filter that the partial summary can decide skips it without a get.
	other := "other"
	before = mem.Ops()
	items, _, err = s.ListOrgSessions(ctx, orgA, store.SessionFilter{ExternalID: &other}, "", 10)
	delta = opsDelta(before, mem.Ops())
	if err != nil || len(items) != 0 {
		t.Fatalf("%d items, %v", len(items), err)
	}
	if delta["get"] != 0 {
		t.Errorf("ops %v: partial summaries were read although their external id rules them out", delta)
	}
	// The owner listing shows them too.
	items, _, err = s.ListOwnerSessions(ctx, orgA, owner.Key, store.SessionFilter{}, "", 10)
	if err != nil || len(items) != 3 || !sameSession(items[1], big) {
		t.Errorf("owner listing: %d items %v", len(items), err)
	}
}

func TestListBadCursor(t *testing.T) {
	f := newFixture(t, plainKV)
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, c := range []string{
		"!!!", "not a cursor", "e30=", b64("[]"), b64(`"x"`), b64(`{"c":"nope"}`), b64(`{"c":1}`),
		b64(`{"a":1}`), b64(`{"c":"mem:!!"}`), b64("{"), strings.Repeat("A", 3000),
	} {
		t.Run(fmt.Sprintf("%.20s", c), func(t *testing.T) {
			for name, list := range map[string]func() error{
				"org": func() error {
					_, _, err := f.s.ListOrgSessions(ctx, orgA, store.SessionFilter{}, c, 5)
					return err
				},
				"owner": func() error {
					_, _, err := f.s.ListOwnerSessions(ctx, orgA, f.owners[0].Key, store.SessionFilter{}, c, 5)
					return err
				},
			} {
				err := list()
				if identity.ErrorCode(err) != identity.CodeInvalidRequest || !errors.Is(err, identity.ErrInvalidRequest) {
					t.Errorf("%s: error %v, want invalid_request", name, err)
					continue
				}
				var e *identity.Error
				if errors.As(err, &e) && !strings.Contains(e.Message, "cursor") {
					t.Errorf("%s: message %q does not name cursor", name, e.Message)
				}
			}
		})
	}
}

// A cursor is of one listing: used on another (another org's, another
// owner's, the org's for an owner's, an export's), it is refused like a
// forged one, where it used to start that listing over or end it at once.
func TestListCursorOfAnotherListing(t *testing.T) {
	f := newFixture(t, plainKV)
	orgList := func(org string) func(string) (string, error) {
		return func(c string) (string, error) {
			_, next, err := f.s.ListOrgSessions(ctx, org, store.SessionFilter{}, c, 2)
			return next, err
		}
	}
	ownerList := func(o identity.Owner) func(string) (string, error) {
		return func(c string) (string, error) {
			_, next, err := f.s.ListOwnerSessions(ctx, orgA, o.Key, store.SessionFilter{}, c, 2)
			return next, err
		}
	}
	export := func(o identity.Owner) func(string) (string, error) {
		return func(c string) (string, error) {
			_, next, _, err := f.s.ExportSessions(ctx, orgA, o.Key, nil, c)
			return next, err
		}
	}
	listings := map[string]func(string) (string, error){
		"org A": orgList(orgA), "org B": orgList(orgB),
		"owner 0": ownerList(f.owners[0]), "owner 2": ownerList(f.owners[2]),
		"export of owner 0": export(f.owners[0]), "export of owner 2": export(f.owners[2]),
	}
	// The export's pages are 20 sessions: its cursor comes from the
	// listing of the same owner, whose keys it pages through too.
	cursors := map[string]string{}
	for name, list := range listings {
		if strings.HasPrefix(name, "export") {
			continue
		}
		next, err := list("")
		if err != nil || next == "" {
			t.Fatalf("%s: first page: %q, %v", name, next, err)
		}
		cursors[name] = next
	}
	same := func(from, on string) bool {
		return from == on || strings.HasSuffix(on, "of "+from)
	}
	for from, c := range cursors {
		for on, list := range listings {
			_, err := list(c)
			if same(from, on) {
				if err != nil {
					t.Errorf("%s's cursor on %s: %v", from, on, err)
				}
				continue
			}
			if !errors.Is(err, store.ErrBadCursor) {
				t.Errorf("%s's cursor on %s: %v, want the bad cursor error", from, on, err)
			}
		}
	}
}

func TestSession(t *testing.T) {
	mem := kv.NewMemory()
	s := newStore(mem)
	sess := createSession(t, s, orgA, verifiedOwner("u-1", ""), "ws-1", identity.CustomData{"k": "v"})
	got, err := s.Session(ctx, orgA, sess.ID)
	if err != nil || !sameSession(got, sess) {
		t.Fatalf("Session = %+v, %v", got, err)
	}
	for name, c := range map[string]struct{ org, id string }{
		"other org":    {orgB, sess.ID},
		"unknown id":   {orgA, "0190a5d0-0000-7000-8000-000000000000"},
		"upper case":   {orgA, strings.ToUpper(sess.ID)},
		"not an id":    {orgA, "x"},
		"empty":        {orgA, ""},
		"path tricks":  {orgA, "../" + sess.ID},
		"too long":     {orgA, sess.ID + "0"},
		"prefix of id": {orgA, sess.ID[:35]},
	} {
		if _, err := s.Session(ctx, c.org, c.id); !errors.Is(err, identity.ErrNotFound) {
			t.Errorf("%s: %v, want not_found", name, err)
		}
	}
}

func TestStorageFailureIsUnavailable(t *testing.T) {
	s := newStore(broken{})
	_, err := s.Session(ctx, orgA, "0190a5d0-0000-7000-8000-000000000000")
	if !errors.Is(err, identity.ErrUnavailable) || !errors.Is(err, errDown) {
		t.Errorf("Session: %v", err)
	}
	_, _, err = s.ListOrgSessions(ctx, orgA, store.SessionFilter{}, "", 5)
	if !errors.Is(err, identity.ErrUnavailable) {
		t.Errorf("ListOrgSessions: %v", err)
	}
	sess := s.PrepareSession(store.NewSession{OrgID: orgA, Owner: contactOwner(device1, "")})
	if err := s.CreateSession(ctx, sess); !errors.Is(err, identity.ErrUnavailable) {
		t.Errorf("CreateSession: %v", err)
	}
	if _, err := s.RevokedBefore(ctx, orgA, identity.KeyOf("x", "")); !errors.Is(err, identity.ErrUnavailable) {
		t.Errorf("RevokedBefore: %v", err)
	}
}

// FuzzListCursor: a cursor comes from the query string; the store never
// panics on one, refuses what it did not make with invalid_request, and
// otherwise returns org A sessions only, within the limit.
func FuzzListCursor(f *testing.F) {
	fx := newFixture(f, func(m *kv.Memory) kv.KV { return smallPages{m, 4} })
	_, next, err := fx.s.ListOrgSessions(ctx, orgA, store.SessionFilter{}, "", 3)
	if err != nil {
		f.Fatal(err)
	}
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, c := range []string{"", next, "!!", b64(`{}`), b64(`{"a":"zzz"}`), b64(`{"c":"mem:az0","a":""}`), b64(`{"c":"x"}`), b64(`{"a":1e3}`), b64(`null`)} {
		f.Add(c, 3)
	}
	f.Add(next, 0)
	f.Add(next, 1000)
	known := map[string]bool{}
	for _, s := range fx.created {
		known[s.ID] = true
	}
	f.Fuzz(func(t *testing.T, cursor string, limit int) {
		items, _, err := fx.s.ListOrgSessions(ctx, orgA, store.SessionFilter{}, cursor, limit)
		if err != nil {
			if identity.ErrorCode(err) != identity.CodeInvalidRequest {
				t.Fatalf("cursor %q: %v", cursor, err)
			}
			return
		}
		if len(items) > store.MaxPageLimit {
			t.Fatalf("%d items", len(items))
		}
		for _, s := range items {
			if !known[s.ID] || s.OrgID != orgA {
				t.Fatalf("listed %+v", s)
			}
		}
	})
}

func ExampleStore_ListOrgSessions() {
	s := store.New(kv.NewMemory())
	ctx := context.Background()
	owner := identity.Principal{OrgID: "org-1", Kind: identity.KindVerified, Subject: "u-1", UserID: "u-1"}.Owner("")
	for range 5 {
		sess := s.PrepareSession(store.NewSession{OrgID: "org-1", Owner: owner})
		_ = s.CreateSession(ctx, sess)
	}
	cursor, pages := "", 0
	for {
		items, next, err := s.ListOrgSessions(ctx, "org-1", store.SessionFilter{UserID: "u-1"}, cursor, 2)
		if err != nil {
			panic(err)
		}
		pages++
		fmt.Printf("page %d: %d\n", pages, len(items))
		if next == "" {
			break
		}
		cursor = next
	}
	// Output:
	// page 1: 2
	// page 2: 2
	// page 3: 1
}

// A filter that matches little ends a page after maxListCalls KV pages with
// a cursor. That cursor named only KV's position, not the listing's last
// key, so it was not checked against the listing it was used on: another
// org's or owner's listing took it and started over or ended at once.
func TestSparseListingCursorIsOfItsListing(t *testing.T) {
	f := newFixture(t, func(m *kv.Memory) kv.KV { return smallPages{KV: m, n: 2} })
	none := "ws-none"
	_, next, err := f.s.ListOrgSessions(ctx, orgA, store.SessionFilter{ExternalID: &none}, "", 20)
	if err != nil || next == "" {
		t.Fatalf("sparse page of org A: %q, %v; want a cursor", next, err)
	}
	if _, _, err := f.s.ListOrgSessions(ctx, orgB, store.SessionFilter{}, next, 20); !errors.Is(err, store.ErrBadCursor) {
		t.Errorf("org A's sparse cursor on org B: %v, want the bad cursor error", err)
	}
	if _, _, err := f.s.ListOwnerSessions(ctx, orgA, f.owners[0].Key, store.SessionFilter{}, next, 20); !errors.Is(err, store.ErrBadCursor) {
		t.Errorf("org A's sparse cursor on an owner's listing: %v, want the bad cursor error", err)
	}
	// On its own listing it goes on to the end, with nothing found.
	ids, _ := pageAll(t, 20, false, func(c string) ([]*identity.Session, string, error) {
		if c == "" {
			c = next
		}
		return f.s.ListOrgSessions(ctx, orgA, store.SessionFilter{ExternalID: &none}, c, 20)
	})
	if len(ids) != 0 {
		t.Errorf("sparse listing found %v", ids)
	}
	// And a sparse owner listing's cursor is refused on another owner's.
	_, next, err = f.s.ListOwnerSessions(ctx, orgA, f.owners[0].Key, store.SessionFilter{ExternalID: &none}, "", 20)
	if err != nil {
		t.Fatal(err)
	}
	if next != "" {
		if _, _, err := f.s.ListOwnerSessions(ctx, orgA, f.owners[2].Key, store.SessionFilter{}, next, 20); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("owner 0's sparse cursor on owner 2: %v, want the bad cursor error", err)
		}
	}
}
