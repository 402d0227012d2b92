package cfkv

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/chatwidget/identity/internal/kv"
)

var listResults = []string{
	`{"keys":[],"list_complete":true,"cacheStatus":null}`,
	`{"keys":[{"name":"sessions/o/1","metadata":{"s":{"id":"1","x":"a\"}"}}},{"name":"é\u00e9","expiration":1795000000},{"name":"n","metadata":null}],"list_complete":false,"cursor":"c1","cacheStatus":null}`,
	`{"keys":[{"metadata":[1,{"a":"]"}],"name":"k"}],"list_complete":true,"cursor":"ignored"}`,
	`{"keys":[{"name":"k","metadata":"plain"}],"list_complete":false}`,
	`{"list_complete":true}`, `{"keys":[{"name":1}],"list_complete":true}`, `[]`, `{"keys":null,"list_complete":true}`,
	` {"keys":[],"list_complete":true}`, `{"keys":[],"list_complete":true,"list_complete":false,"cursor":"c"}`,
}

func TestDecodeList(t *testing.T) {
	got, err := decodeList([]byte(listResults[1]))
	want := kv.ListResult{Keys: []kv.ListKey{
		{Name: "sessions/o/1", Metadata: []byte(`{"s":{"id":"1","x":"a\"}"}}`)}, {Name: "éé"}, {Name: "n"},
	}, Cursor: "c1"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("decodeList = %+v, %v; want %+v", got, err, want)
	}
	if _, err := decodeList([]byte(listResults[3])); err == nil {
		t.Fatal("an incomplete listing without a cursor was taken")
	}
	if l, err := decodeList([]byte(listResults[2])); err != nil || l.Cursor != "" || string(l.Keys[0].Metadata) != `[1,{"a":"]"}]` {
		t.Fatalf("complete listing: %+v, %v", l, err)
	}
	for _, bad := range []string{`[]`, `{"keys":[{"name":1}],"list_complete":true}`, `{`, ``} {
		if l, err := decodeList([]byte(bad)); err == nil {
			t.Errorf("decodeList(%s) = %+v", bad, l)
		}
	}
}

// FuzzDecodeList: on valid JSON, decodeList answers what encoding/json's
// reading answers.
func FuzzDecodeList(f *testing.F) {
	for _, s := range listResults {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		got, gotErr := decodeList(b)
		plain, err := decodeListPlain(b)
		if err == nil && (gotErr == nil) != (plain.Complete || plain.Cursor != "") {
			t.Fatalf("%s: decodeList error %v, plain %+v", b, gotErr, plain)
		}
		if err != nil {
			if gotErr == nil {
				t.Fatalf("%s: decodeList took what encoding/json refuses (%v): %+v", b, err, got)
			}
			return
		}
		if gotErr != nil {
			return
		}
		if plain.Complete {
			plain.Cursor = ""
		}
		if len(got.Keys) == 0 && len(plain.Keys) == 0 {
			got.Keys, plain.Keys = nil, nil
		}
		for i := range plain.Keys {
			if plain.Keys[i].Metadata != nil {
				var c any
				_ = json.Unmarshal(plain.Keys[i].Metadata, &c) // compare as values: raw spacing may differ
				plain.Keys[i].Metadata, _ = json.Marshal(c)
				_ = json.Unmarshal(got.Keys[i].Metadata, &c)
				got.Keys[i].Metadata, _ = json.Marshal(c)
			}
		}
		if !reflect.DeepEqual(got, plain) {
			t.Fatalf("%s:\ndecodeList %+v\nplain      %+v", b, got, plain)
		}
	})
}
