//go:build !js

package access_test

import (
	"testing"

	"github.com/chatwidget/identity/worker/test/access"
	"github.com/chatwidget/identity/worker/test/attack"
	"github.com/chatwidget/identity/worker/test/contract"
)

// TestRulesInProcess runs the table over the API in process, on a Memory
// KV (the attack suite's in-process worker), through the contract client
// validating against the document; a refusal must leave every key of the KV
// as it was.
func TestRulesInProcess(t *testing.T) {
	target, stop, err := attack.NewInProcess(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	c := contract.Validated(target.URL)
	c.HTTP = target.Client
	access.Run(t, c, target.AdminToken, access.Storage(target.Snapshot))
}
