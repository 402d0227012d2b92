package cfkv

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/chatwidget/identity/internal/kv"
)

// decodeList reads a KV list result as JSON text (JSON.stringify of what
// list resolved to): its keys with their metadata as JSON, list_complete and
// cursor. Members KV may add (cacheStatus, a key's expiration) are passed
// over.
func decodeList(b []byte) (kv.ListResult, error) {
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
	if l.Complete {
		l.Cursor = ""
	} else if l.Cursor == "" {
		return kv.ListResult{}, errors.New("cfkv: list: incomplete listing without a cursor")
	}
	return l, nil
}
