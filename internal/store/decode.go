package store

import (
	"encoding/json"

	"github.com/chatwidget/identity/internal/jsonread"
)

// decodeRecord decodes b into the zero value *v as json.Unmarshal would: the
// records every request reads (the org behind a widget token, an api key, a
// session, a listing's summaries) directly with field when they are in the
// shape the store writes, anything else with json.Unmarshal (see
// internal/jsonread). The Fuzz tests of summary_test.go and decode_test.go
// hold the two paths to the same result.
func decodeRecord[T any](b []byte, v *T, field jsonread.Field[T]) error {
	if fast, ok := jsonread.Read(b, field); ok {
		*v = fast
		return nil
	}
	return json.Unmarshal(b, v)
}
