// Command keygen prints a fresh SIGNING_KEYS entry, "kid:BASE64URL(seed)".
//
//	go run ./worker/cmd/keygen [kid]
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/chatwidget/identity/internal/token"
)

func main() {
	kid := time.Now().UTC().Format("2006-01-02")
	if len(os.Args) > 1 {
		kid = os.Args[1]
	}
	spec, err := token.GenerateKeySpec(kid)
	if err != nil {
		fmt.Fprintln(os.Stderr, "keygen:", err)
		os.Exit(1)
	}
	fmt.Println(spec)
}
