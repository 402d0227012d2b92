package store

// decodeSummary decodes a listing key's metadata, or a session record (a
// summary without "x" and "p"), into m.
func decodeSummary(b []byte, m *summaryMeta) error {
	return unmarshal(b, m)
}
