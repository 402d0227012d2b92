package store

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/identity"
)

// storedSummaries are summaries and session records as the store writes
// them.
func storedSummaries(t testing.TB) [][]byte {
	at := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	ext := "workspace-7"
	owners := []identity.Owner{
		{Key: "user:u-1", Verified: true, UserID: "u-1", Email: "ada@example.com"},
		{Key: "c:0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", ContactID: "0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"},
		{},
	}
	sessions := []*identity.Session{
		{ID: "", CreatedAt: at, UpdatedAt: at.Add(time.Minute)},
		{
			ID: "0195f0c8-0000-7000-8000-000000000001", CreatedAt: at, UpdatedAt: at, Verified: true,
			ExternalID:            &ext,
			NonVerifiedCustomData: identity.CustomData{"plan": "pro", "seats": 3.0, "tags": []any{"a", true, nil}, "nested": map[string]any{"x": "y"}},
			LastMessage: &identity.Message{
				ID: "0195f0c8-0000-7000-8000-000000000002", SessionID: "0195f0c8-0000-7000-8000-000000000001",
				Role: identity.RoleUser, Content: "Héllo, wörld — ✓ {\"not\": json}", AuthorName: "Ada", CreatedAt: at,
			},
		},
		{CreatedAt: at.In(time.FixedZone("x", 3600)), NonVerifiedCustomData: identity.CustomData{}},
	}
	var out [][]byte
	add := func(v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	for _, o := range owners {
		for _, s := range sessions {
			add(summaryMeta{Session: s, Owner: &o})
			add(sessionRecord{Session: s, Owner: o})
		}
		add(summaryMeta{Owner: &o, External: &ext, Partial: true})
		add(summaryMeta{Owner: &o, Partial: true})
	}
	add(summaryMeta{Partial: true})
	add(summaryMeta{})
	return out
}

// decodeSummary reads back every summary and session record the store
// writes, as it wrote them.
func TestDecodeSummaryReadsWhatTheStoreWrites(t *testing.T) {
	for _, b := range storedSummaries(t) {
		var m summaryMeta
		if err := decodeSummary(b, &m); err != nil {
			t.Fatalf("decodeSummary(%s): %v", b, err)
		}
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var r sessionRecord
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		rec, _ := json.Marshal(r)
		if string(again) != string(b) && string(rec) != string(b) {
			t.Errorf("decodeSummary(%s) wrote back %s", b, again)
		}
	}
}
