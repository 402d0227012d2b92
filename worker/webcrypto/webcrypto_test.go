//go:build js && wasm

package webcrypto_test

import (
	"testing"

	"github.com/chatwidget/identity/internal/token/enginetest"
	"github.com/chatwidget/identity/worker/webcrypto"
)

// TestEngine checks the engine under Node's WebCrypto (OpenSSL); workerd's
// (BoringSSL) runs the same checks through worker/test/e2e, whose tokens it signs
// and verifies.
func TestEngine(t *testing.T) {
	e, err := webcrypto.New()
	if err != nil {
		t.Fatal(err)
	}
	enginetest.Run(t, e)
}
