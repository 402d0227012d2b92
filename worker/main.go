//go:build js && wasm

// Command worker is the Cloudflare Worker: it reads the config from the
// Worker's vars and secrets, builds the API over the CHAT_KV namespace and
// WebCrypto's Ed25519 once, and serves every request of the isolate from this
// one Go instance (see worker/bridge and worker/runtime/worker.mjs).
//
// It is built with -tags nonethttp (see the Makefile), which keeps net/http
// out of the binary. For the same reason it reads the isolate's env and
// signals readiness itself rather than through syumai/workers' Go packages,
// which import net/http; of syumai/workers only workers-assets-gen's
// runtime.mjs remains, beside TinyGo's wasm_exec.js given the runtime
// context (the Makefile) and worker/runtime's worker.mjs and glue.js.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall/js"
	"time"

	"github.com/chatwidget/identity/internal/api"
	"github.com/chatwidget/identity/internal/config"
	"github.com/chatwidget/identity/internal/httpx"
	"github.com/chatwidget/identity/internal/queue"
	"github.com/chatwidget/identity/worker/bridge"
	"github.com/chatwidget/identity/worker/cffetch"
	"github.com/chatwidget/identity/worker/cfkv"
	"github.com/chatwidget/identity/worker/cfqueue"
	"github.com/chatwidget/identity/worker/cfratelimit"
	"github.com/chatwidget/identity/worker/jscall"
	"github.com/chatwidget/identity/worker/webcrypto"
)

// The Queue bindings of wrangler.toml: JOBS carries the API's background jobs
// (this worker is also its consumer), JOBS_DEAD_LETTERS is where a job given
// up on goes.
const (
	jobsBinding        = "JOBS"
	deadLettersBinding = "JOBS_DEAD_LETTERS"
)

func main() {
	logger := api.NewLogger(os.Stdout) // console.log in the Worker
	// The runtime context that worker.mjs passed to go.run: env is the
	// isolate's bindings, binding is where the JS side finds handleRequest.
	runtime := js.Global().Get("context")
	env := runtime.Get("env")
	h, jobs := handler(env, logger)
	bridge.Register(runtime.Get("binding"), testRoutes(h))
	bridge.RegisterQueue(runtime.Get("binding"), jobs)
	ready()
	select {}
}

// testRoutes adds the routes of a test build (testroutes.go, -tags testroutes) in
// front of h; the worker itself has none.
var testRoutes = func(h httpx.Handler) httpx.Handler { return h }

// ready tells worker.mjs that handleRequest is registered: the import that
// worker.mjs provides.
//
//go:wasmimport workers ready
func ready()

// handler builds the API and the consumer of its queue, or a handler that
// explains a broken configuration with a 503 on every request and a consumer
// that keeps every job for later.
func handler(env js.Value, logger *api.Logger) (httpx.Handler, queue.Consumer) {
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
	jobs, err := cfqueue.New(env.Get(jobsBinding))
	if err == nil {
		opts = append(opts, api.WithQueue(jobs))
	} else {
		logger.Warn("no Queue binding "+jobsBinding+": background jobs (webhooks) are off", "err", err.Error())
	}
	if d, err := cffetch.New(); err == nil {
		opts = append(opts, api.WithOutbound(d))
	} else {
		logger.Warn("no outgoing requests", "err", err.Error())
	}
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
	// A request that waits (a retry for its Idempotency-Key's first request)
	// waits on a timer of its own request.
	opts = append(opts, api.WithSleep(jscall.Sleep))
	h, err := api.New(cfkv.New(env.Get("CHAT_KV")), cfg, opts...)
	if err != nil {
		return unavailable(logger, err)
	}
	logf := func(format string, args ...any) { logger.Warn("queue", "detail", fmt.Sprintf(format, args...)) }
	dlq, err := cfqueue.New(env.Get(deadLettersBinding))
	if err != nil {
		logger.Warn("no Queue binding "+deadLettersBinding+": a job given up on is only logged", "err", err.Error())
		return h, queue.WithDeadLetters(h.Consumer(), nil, logf)
	}
	return h, queue.WithDeadLetters(h.Consumer(), dlq, logf)
}

func unavailable(logger *api.Logger, err error) (httpx.Handler, queue.Consumer) {
	logger.Error("worker misconfigured", "err", err.Error())
	return api.Unavailable("The worker is not configured; see its logs."), retryAll{}
}

// retryAll retries every message after an hour: a misconfigured worker
// loses no job.
type retryAll struct{}

func (retryAll) Consume(_ context.Context, batch []queue.Message) []queue.Outcome {
	out := make([]queue.Outcome, len(batch))
	for i := range out {
		out[i] = queue.Retry(time.Hour)
	}
	return out
}
