package cfkv

import (
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
