package cfkv

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/chatwidget/identity/internal/kv"
)

func TestDecodeList(t *testing.T) {
	got, err := decodeList([]byte(`{"keys":[{"name":"sessions/o/1","metadata":{"s":{"id":"1","x":"a\"}"}}},{"name":"é\u00e9","expiration":1795000000},{"name":"n","metadata":null}],"list_complete":false,"cursor":"c1","cacheStatus":null}`))
	want := kv.ListResult{Keys: []kv.ListKey{
		{Name: "sessions/o/1", Metadata: []byte(`{"s":{"id":"1","x":"a\"}"}}`)}, {Name: "éé"}, {Name: "n"},
	}, Cursor: "c1"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("decodeList = %+v, %v; want %+v", got, err, want)
	}
	if _, err := decodeList([]byte(`{"keys":[{"name":"k","metadata":"plain"}],"list_complete":false}`)); err == nil {
		t.Fatal("an incomplete listing without a cursor was taken")
	}
	if l, err := decodeList([]byte(`{"keys":[{"metadata":[1,{"a":"]"}],"name":"k"}],"list_complete":true,"cursor":"ignored"}`)); err != nil || l.Cursor != "" || string(l.Keys[0].Metadata) != `[1,{"a":"]"}]` {
		t.Fatalf("complete listing: %+v, %v", l, err)
	}
	for _, bad := range []string{`[]`, `{"keys":[{"name":1}],"list_complete":true}`, `{`, ``} {
		if l, err := decodeList([]byte(bad)); err == nil {
			t.Errorf("decodeList(%s) = %+v", bad, l)
		}
	}
}

// FuzzDecodeList holds decodeList to what the store relies on, for any text
// JSON.stringify could hand it: an accepted listing has a cursor exactly when
// it is incomplete, metadata that is JSON (never a JSON null), and reads back
// the same from the listing it describes.
func FuzzDecodeList(f *testing.F) {
	f.Add([]byte(`{"keys":[{"name":"a","metadata":{"s":1}},{"name":"b"}],"list_complete":false,"cursor":"c"}`))
	f.Add([]byte(`{"keys":[{"Name":"a","name":"b","metadata":null}],"list_complete":true,"cursor":"x"}`))
	f.Add([]byte(`{"keys":[{"name":"\ud800","metadata":[1, {"a" : "]"}]}],"list_complete":true}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := decodeList(b)
		if err != nil {
			return
		}
		if l.Complete != (l.Cursor == "") {
			t.Fatalf("complete %v with cursor %q", l.Complete, l.Cursor)
		}
		type key struct {
			Name     string          `json:"name"`
			Metadata json.RawMessage `json:"metadata,omitempty"`
		}
		out := struct {
			Keys     []key  `json:"keys"`
			Complete bool   `json:"list_complete"`
			Cursor   string `json:"cursor,omitempty"`
		}{Complete: l.Complete, Cursor: l.Cursor}
		for i, k := range l.Keys {
			if k.Metadata != nil && (!json.Valid(k.Metadata) || string(k.Metadata) == "null") {
				t.Fatalf("key %d: metadata %q", i, k.Metadata)
			}
			out.Keys = append(out.Keys, key{k.Name, k.Metadata})
		}
		js, err := json.Marshal(out)
		if err != nil {
			t.Fatal(err)
		}
		again, err := decodeList(js)
		if err != nil {
			t.Fatalf("its own listing %s: %v", js, err)
		}
		compact := func(l kv.ListResult) kv.ListResult {
			for i, k := range l.Keys {
				if k.Metadata != nil {
					var buf bytes.Buffer
					_ = json.Compact(&buf, k.Metadata)
					l.Keys[i].Metadata = buf.Bytes()
				}
			}
			return l
		}
		if a, b := compact(l), compact(again); !reflect.DeepEqual(a, b) {
			t.Fatalf("read back %+v, first %+v", b, a)
		}
	})
}
