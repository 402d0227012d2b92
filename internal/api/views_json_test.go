package api

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/jsonwrite/jsonwritetest"
)

// The hot routes' answers, written without reflection, are what json.Marshal
// writes for them.
func TestViewsWriteWhatMarshalWrites(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 5, time.UTC)
	ext := "<w>"
	msg := &identity.Message{ID: "m", SessionID: "s", Role: identity.RoleUser, Content: "a & b", CreatedAt: at}
	sess := &identity.Session{ID: "s", CreatedAt: at, UpdatedAt: at, ExternalID: &ext, LastMessage: msg,
		NonVerifiedCustomData: identity.CustomData{"k": []any{1.0, "v"}}}
	bad := &identity.Session{UpdatedAt: time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC)}
	for _, v := range []interface {
		AppendJSON([]byte) ([]byte, error)
	}{
		viewList(nil, ""), viewList([]*identity.Session{sess, {}, nil}, "next"), viewList([]*identity.Session{sess, bad}, ""),
		sessionList{}, sessionWithMessages{}, sessionWithMessages{Session: sess, Messages: []*identity.Message{msg, nil, {}}},
		sessionWithMessages{Session: sess, Messages: []*identity.Message{}}, sessionWithMessages{Session: bad},
		messageView{}, messageView{Message: msg}, sessionView{}, sessionView{Session: sess}, sessionView{Session: bad},
	} {
		jsonwritetest.Matches(t, v)
	}
}

func FuzzViewsJSON(f *testing.F) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 5, time.FixedZone("", 7200))
	b, err := json.Marshal(sessionWithMessages{
		Session:  &identity.Session{ID: "s", CreatedAt: at, NonVerifiedCustomData: identity.CustomData{"a": "\u2028"}},
		Messages: []*identity.Message{{ID: "m", Content: "<hi>", CreatedAt: at}},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"items":[{"id":"x","last_message":{"content":"\ud800"}},null],"next_cursor":"c"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		jsonwritetest.MatchesDecoded[sessionWithMessages](t, b)
		jsonwritetest.MatchesDecoded[sessionList](t, b)
		jsonwritetest.MatchesDecoded[messageView](t, b)
		jsonwritetest.MatchesDecoded[sessionView](t, b)
	})
}
