//go:build js && wasm

package webcrypto_test

import (
	"os"
	"testing"

	"github.com/chatwidget/identity/internal/token/enginetest"
	"github.com/chatwidget/identity/worker/runtime/gluetest"
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

// TestMain loads worker/runtime/glue.js, the file worker.mjs imports, whose
// awaiter every await goes through.
func TestMain(m *testing.M) {
	gluetest.Load()
	os.Exit(m.Run())
}
