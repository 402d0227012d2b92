//go:build !js

package attack

import "testing"

// A template name the fixture does not have stops the table, rather than
// being sent as written.
func TestAnUnknownTemplateNameStopsTheCase(t *testing.T) {
	f := &Fixture{vals: map[string]string{"SA1": "s-1"}}
	if got := f.x(`{"content":"{SA1}"}`); got != `{"content":"s-1"}` {
		t.Fatalf("x = %s", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("{SA9} was left in the request")
		}
	}()
	f.x("/v1/widget/sessions/{SA9}")
}
