//go:build js && wasm

// Command worker is the Cloudflare Worker: it reads the config from the
// Worker's vars and secrets, builds the API over the CHAT_KV namespace and
// WebCrypto's Ed25519 once, and serves every request of the isolate from this
// one Go instance (see worker/bridge and worker/runtime/worker.mjs).
//
// It is built with -tags nonethttp (see the Makefile), which keeps net/http
// out of the binary. For the same reason it reads the isolate's env and
// signals readiness itself rather than through syumai/workers' Go packages,
// which import net/http; syumai/workers' workers-assets-gen still makes the
// JavaScript glue it runs in (wasm_exec.js with the runtime context, and
// runtime.mjs).
package main

import (
	"os"
	"strings"
	"syscall/js"
	"time"

	"github.com/chatwidget/identity/internal/api"
	"github.com/chatwidget/identity/internal/config"
	"github.com/chatwidget/identity/internal/httpx"
	"github.com/chatwidget/identity/worker/bridge"
	"github.com/chatwidget/identity/worker/cfkv"
	"github.com/chatwidget/identity/worker/cfratelimit"
	"github.com/chatwidget/identity/worker/webcrypto"
)

func main() {
	logger := api.NewLogger(os.Stdout) // console.log in the Worker
	// The runtime context that worker.mjs passed to go.run: env is the
	// isolate's bindings, binding is where the JS side finds handleRequest.
	runtime := js.Global().Get("context")
	env := runtime.Get("env")
	bridge.Register(runtime.Get("binding"), handler(env, logger))
	ready()
	select {}
}

// ready tells worker.mjs that handleRequest is registered: the import that
// workers-assets-gen's glue provides.
//
//go:wasmimport workers ready
func ready()

// handler builds the API, or one that explains a broken configuration with a
// 503 on every request.
func handler(env js.Value, logger *api.Logger) httpx.Handler {
	getenv := func(name string) string {
		if v := env.Get(name); v.Type() == js.TypeString {
			return v.String()
		}
		return ""
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return unavailable(logger, err)
	}
	opts := []api.Option{api.WithLogger(logger)}
	if engine, err := webcrypto.New(); err == nil {
		opts = append(opts, api.WithTokenEngine(engine)) // native Ed25519
	} else {
		logger.Warn("tokens signed with crypto/ed25519", "err", err.Error())
	}
	// Rate limits: Cloudflare's Rate Limiting bindings, which Retry-After
	// says the period of (RATE_LIMIT_WINDOW_SECONDS, a minute by default).
	period := cfg.RateLimits.Window
	if period < time.Second {
		period = time.Minute
	}
	rates := cfratelimit.New(env, period, api.NewMemoryRateCounter(cfg.RateLimits, time.Now))
	if missing := rates.Missing(); len(missing) > 0 {
		logger.Warn("rate limit bindings missing from wrangler.toml: their limits are counted per isolate", "bindings", strings.Join(missing, ","))
	}
	opts = append(opts, api.WithRateCounter(rates))
	h, err := api.New(cfkv.New(env.Get("CHAT_KV")), cfg, opts...)
	if err != nil {
		return unavailable(logger, err)
	}
	return h
}

func unavailable(logger *api.Logger, err error) httpx.Handler {
	logger.Error("worker misconfigured", "err", err.Error())
	body := []byte(`{"error":{"code":"unavailable","message":"The worker is not configured; see its logs."}}`)
	return httpx.HandlerFunc(func(w httpx.ResponseWriter, r *httpx.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(httpx.StatusServiceUnavailable)
		_, _ = w.Write(body)
	})
}
