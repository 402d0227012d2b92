//go:build js && wasm

// Command worker is the Cloudflare Worker: it reads the config from the
// Worker's vars and secrets, builds the API over the CHAT_KV namespace once,
// and serves every request of the isolate from this one Go instance (see
// worker/bridge and worker/runtime/worker.mjs).
package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"syscall/js"

	"github.com/syumai/workers"
	"github.com/syumai/workers/cloudflare"

	"github.com/chatwidget/identity/internal/api"
	"github.com/chatwidget/identity/internal/config"
	"github.com/chatwidget/identity/worker/bridge"
	"github.com/chatwidget/identity/worker/cfkv"
)

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelInfo}))
	// The runtime context that worker.mjs passed to go.run: its binding
	// object is where the JS side finds handleRequest.
	bridge.Register(js.Global().Get("context").Get("binding"), handler(logger))
	workers.Ready()
	select {}
}

// handler builds the API, or one that explains a broken configuration with a
// 503 on every request.
func handler(logger *slog.Logger) http.Handler {
	cfg, err := config.Load(cloudflare.Getenv)
	if err != nil {
		return unavailable(logger, err)
	}
	h, err := api.New(cfkv.New(cloudflare.GetBinding("CHAT_KV")), cfg, api.WithLogger(logger))
	if err != nil {
		return unavailable(logger, err)
	}
	return h
}

func unavailable(logger *slog.Logger, err error) http.Handler {
	logger.Error("worker misconfigured", "err", err.Error())
	body := fmt.Appendf(nil, `{"error":{"code":"unavailable","message":"The worker is not configured: %s."}}`, "see its logs")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write(body)
	})
}
