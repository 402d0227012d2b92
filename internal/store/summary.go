package store

import "encoding/json"

// decodeSummary decodes a listing key's metadata, or a session record (a
// summary without "x" and "p"), into m.
func decodeSummary(b []byte, m *summaryMeta) error {
	return json.Unmarshal(b, m)
}
