//go:build !js

package e2e

import (
	"testing"

	"github.com/chatwidget/identity/worker/test/access"
	"github.com/chatwidget/identity/worker/test/contract"
)

// TestAccessRules runs the six access rules' table (worker/test/access)
// against wrangler dev, through the contract client validating every
// request and answer against the OpenAPI document.
func TestAccessRules(t *testing.T) {
	t.Parallel()
	s := server(t)
	access.Run(t, contract.Validated(s.URL), s.AdminToken)
}
