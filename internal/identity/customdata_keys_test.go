package identity_test

import (
	"encoding/json"
	"testing"

	"github.com/chatwidget/identity/internal/identity"
)

// A repeated key anywhere in custom data is refused, not resolved to the
// last one as encoding/json would.
func TestParseCustomDataRefusesRepeatedKeys(t *testing.T) {
	for _, raw := range []string{
		`{"a":1,"a":2}`, `{"a":1,"\u0061":2}`, `{"x":{"k":1,"k":2}}`, `{"x":[{"k":1,"k":2}]}`,
		`{"x":{"y":{"k":1,"k":{}}}}`,
	} {
		_, err := identity.ParseCustomData("custom_data", json.RawMessage(raw))
		if identity.ErrorCode(err) != identity.CodeInvalidJSON {
			t.Errorf("%s: %v, want invalid_json", raw, err)
		}
	}
	// Keys that differ only in case are different keys, both kept.
	m, err := identity.ParseCustomData("custom_data", json.RawMessage(`{"Plan":"a","plan":"b","x":{"K":1,"k":2}}`))
	if err != nil || m["Plan"] != "a" || m["plan"] != "b" || len(m["x"].(map[string]any)) != 2 {
		t.Errorf("case-variant keys: %v, %v", m, err)
	}
}
