package identity_test

import (
	"encoding/json"
	"runtime"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/jsonwrite/jsonwritetest"
)

func writtenRecords() ([]*identity.Session, []*identity.Message) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	ext := "workspace <7> & \"co\""
	msg := &identity.Message{
		ID: "0195f0c8-0000-7000-8000-000000000002", SessionID: "0195f0c8-0000-7000-8000-000000000001",
		Role: identity.RoleAgent, Content: "Héllo\n<b>wörld</b> \u2028 ✓ {\"not\": json}\x01", AuthorName: "Ada", CreatedAt: at,
	}
	sessions := []*identity.Session{
		{},
		{ID: "s", OrgID: "not written", Owner: identity.Owner{Key: "not written"}, CreatedAt: at, UpdatedAt: at.Add(time.Second)},
		{
			ID: "0195f0c8-0000-7000-8000-000000000001", CreatedAt: at, UpdatedAt: at.In(time.FixedZone("x", -5*3600)), Verified: true,
			ExternalID:            &ext,
			NonVerifiedCustomData: identity.CustomData{"plan": "pro", "seats": 3.0, "tags": []any{"a", true, nil}, "nested": map[string]any{"<x>": "y"}},
			LastMessage:           msg,
			ClaimedAt:             &at,
		},
		{NonVerifiedCustomData: identity.CustomData{}, LastMessage: &identity.Message{}},
	}
	messages := []*identity.Message{msg, {}, {Content: "bad \xff"}}
	// Times json.Marshal refuses. Its refusal is a panic it recovers from,
	// and TinyGo (which runs this package's tests too) cannot recover.
	if runtime.Compiler != "tinygo" {
		sessions = append(sessions, &identity.Session{CreatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)})
		messages = append(messages, &identity.Message{CreatedAt: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)})
	}
	return sessions, messages
}

func TestSessionAndMessageWriteWhatMarshalWrites(t *testing.T) {
	sessions, messages := writtenRecords()
	for _, s := range sessions {
		jsonwritetest.Matches(t, s)
	}
	for _, m := range messages {
		jsonwritetest.Matches(t, m)
	}
}

func FuzzSessionJSON(f *testing.F) {
	sessions, _ := writtenRecords()
	for _, s := range sessions {
		if b, err := json.Marshal(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"created_at":"2026-01-02T03:04:05.5+23:59","non_verified_custom_data":{"a":[1e300,-0,"\u2029"]}}`))
	f.Fuzz(func(t *testing.T, b []byte) { jsonwritetest.MatchesDecoded[identity.Session](t, b) })
}

func FuzzMessageJSON(f *testing.F) {
	_, messages := writtenRecords()
	for _, m := range messages {
		if b, err := json.Marshal(m); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) { jsonwritetest.MatchesDecoded[identity.Message](t, b) })
}
