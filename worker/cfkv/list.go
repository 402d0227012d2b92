package cfkv

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/chatwidget/identity/internal/jsonread"
	"github.com/chatwidget/identity/internal/kv"
)

// decodeList reads a KV list result as JSON text (JSON.stringify of what
// list resolved to): its keys with their metadata as JSON, list_complete and
// cursor. Members KV may add (cacheStatus, a key's expiration) are passed
// over. It reads the shape JSON.stringify writes without encoding/json,
// which it falls back to for anything else.
func decodeList(b []byte) (kv.ListResult, error) {
	l, ok := jsonread.Read(b, listField)
	if !ok {
		var err error
		if l, err = decodeListPlain(b); err != nil {
			return kv.ListResult{}, err
		}
	}
	if l.Complete {
		l.Cursor = ""
	} else if l.Cursor == "" {
		return kv.ListResult{}, errors.New("cfkv: list: incomplete listing without a cursor")
	}
	return l, nil
}

// decodeListPlain is decodeList's reading with encoding/json.
func decodeListPlain(b []byte) (kv.ListResult, error) {
	var plain struct {
		Keys []struct {
			Name     string          `json:"name"`
			Metadata json.RawMessage `json:"metadata"`
		} `json:"keys"`
		ListComplete bool   `json:"list_complete"`
		Cursor       string `json:"cursor"`
	}
	if err := json.Unmarshal(b, &plain); err != nil {
		return kv.ListResult{}, fmt.Errorf("cfkv: list: unexpected result: %w", err)
	}
	l := kv.ListResult{Complete: plain.ListComplete, Cursor: plain.Cursor}
	for _, k := range plain.Keys {
		lk := kv.ListKey{Name: k.Name}
		if len(k.Metadata) > 0 && string(k.Metadata) != "null" {
			lk.Metadata = k.Metadata
		}
		l.Keys = append(l.Keys, lk)
	}
	return l, nil
}

func listField(r *jsonread.Reader, l *kv.ListResult, key []byte) bool {
	switch string(key) {
	case "keys":
		return readKeys(r, &l.Keys)
	case "list_complete":
		return r.Bool(&l.Complete)
	case "cursor":
		return r.Str(&l.Cursor)
	}
	return skipOther(r, key, "keys", "list_complete", "cursor")
}

func readKeys(r *jsonread.Reader, dst *[]kv.ListKey) bool {
	if !r.Byte('[') {
		return false
	}
	if r.Byte(']') {
		return true
	}
	for {
		var k kv.ListKey
		if !jsonread.Object(r, &k, keyField) {
			return false
		}
		*dst = append(*dst, k)
		if r.Byte(']') {
			return true
		}
		if !r.Byte(',') {
			return false
		}
	}
}

func keyField(r *jsonread.Reader, k *kv.ListKey, key []byte) bool {
	switch string(key) {
	case "name":
		return r.Str(&k.Name)
	case "metadata":
		raw, ok := r.Skip()
		if ok && string(raw) != "null" {
			k.Metadata = raw
		}
		return ok
	}
	return skipOther(r, key, "name", "metadata")
}

// skipOther passes over the value of a member decodeList does not read. A key
// that differs from one it reads by case alone is left to encoding/json,
// which matches keys so.
func skipOther(r *jsonread.Reader, key []byte, known ...string) bool {
	for _, k := range known {
		if strings.EqualFold(string(key), k) {
			return false
		}
	}
	_, ok := r.Skip()
	return ok
}
