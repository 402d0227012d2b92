// Package webhookrecv is a webhook receiver for the tests that run the
// worker under wrangler dev (worker/webhooke2e, worker/soak): an HTTP server
// on 127.0.0.1 with one endpoint per org (/o/{name}), which verifies every
// delivery with the Standard Webhooks Go library against the secrets it was
// told of, answers 204 to a delivery that verifies (401 to one that does
// not), and records both. It can answer 500 to an endpoint's next n
// deliveries, and go down (stop listening) and come back on the same port.
package webhookrecv

import (
	"cmp"
	"encoding/json"
	"io"
	"iter"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// Delivery is one request an endpoint got.
type Delivery struct {
	ID     string // webhook-id
	Type   string
	Data   map[string]any
	Status int // what the receiver answered
	// Verified lists the indexes (into the endpoint's secrets) of the
	// secrets whose signature verified; VerifyErr is why none did.
	Verified  []int
	VerifyErr string
}

type endpoint struct {
	secrets    []string
	failNext   int
	deliveries []Delivery
}

// Receiver is the running server. Safe for concurrent use.
type Receiver struct {
	URL string // http://127.0.0.1:PORT

	mu        sync.Mutex
	endpoints map[string]*endpoint
	srv       *http.Server
}

// Start listens on a free loopback port.
func Start() (*Receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Receiver{URL: "http://" + ln.Addr().String(), endpoints: map[string]*endpoint{}}
	r.serve(ln)
	return r, nil
}

// StartT starts a receiver that t's cleanup closes.
func StartT(t testing.TB) *Receiver {
	r, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// serve serves on ln; r.mu is held or r not yet shared.
func (r *Receiver) serve(ln net.Listener) {
	r.srv = &http.Server{Handler: http.HandlerFunc(r.handle), ReadHeaderTimeout: 5 * time.Second}
	go func(srv *http.Server) { _ = srv.Serve(ln) }(r.srv)
}

// Close stops the server for good.
func (r *Receiver) Close() (err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.srv != nil {
		err, r.srv = r.srv.Close(), nil
	}
	return err
}

// Down stops listening: deliveries meet a refused connection until Up.
func (r *Receiver) Down() error { return r.Close() }

// Up listens again on the same port.
func (r *Receiver) Up() error {
	var err error
	for range 20 {
		var ln net.Listener
		if ln, err = net.Listen("tcp", strings.TrimPrefix(r.URL, "http://")); err == nil {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.serve(ln)
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

// Endpoint is the URL of name's endpoint.
func (r *Receiver) Endpoint(name string) string { return r.URL + "/o/" + name }

// ep is name's endpoint, under r.mu.
func (r *Receiver) ep(name string, f func(*endpoint)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.endpoints[name] == nil {
		r.endpoints[name] = &endpoint{}
	}
	f(r.endpoints[name])
}

// SetSecrets sets the secrets name's deliveries are verified with.
func (r *Receiver) SetSecrets(name string, secrets ...string) {
	r.ep(name, func(e *endpoint) { e.secrets = secrets })
}

// FailNext makes name's next n deliveries get a 500.
func (r *Receiver) FailNext(name string, n int) { r.ep(name, func(e *endpoint) { e.failNext = n }) }

// Deliveries is everything name got, in order.
func (r *Receiver) Deliveries(name string) (out []Delivery) {
	r.ep(name, func(e *endpoint) { out = append(out, e.deliveries...) })
	return out
}

// Accepted is the deliveries name answered with 204 (verified, not failed
// on purpose), by webhook id.
func (r *Receiver) Accepted(name string) map[string][]Delivery {
	out := map[string][]Delivery{}
	for _, d := range r.Deliveries(name) {
		if d.Status == http.StatusNoContent {
			out[d.ID] = append(out[d.ID], d)
		}
	}
	return out
}

// Arrived says whether every one of ids was accepted at name.
func (r *Receiver) Arrived(name string, ids iter.Seq[string]) bool {
	got := r.Accepted(name)
	for id := range ids {
		if len(got[id]) == 0 {
			return false
		}
	}
	return true
}

func (r *Receiver) handle(w http.ResponseWriter, req *http.Request) {
	name, ok := strings.CutPrefix(req.URL.Path, "/o/")
	if !ok || req.Method != http.MethodPost {
		http.NotFound(w, req)
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	var secrets []string
	r.ep(name, func(e *endpoint) { secrets = slices.Clone(e.secrets) })

	var p struct {
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	}
	_ = json.Unmarshal(body, &p)
	d := Delivery{ID: req.Header.Get("webhook-id"), Type: p.Type, Data: p.Data}
	var errs []string
	for i, s := range secrets {
		wh, err := standardwebhooks.NewWebhook(s)
		if err == nil {
			err = wh.Verify(body, req.Header)
		}
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		d.Verified = append(d.Verified, i)
	}
	r.ep(name, func(e *endpoint) {
		switch {
		case len(d.Verified) == 0:
			d.Status, d.VerifyErr = http.StatusUnauthorized, cmp.Or(strings.Join(errs, "; "), "no secret set")
		case e.failNext > 0:
			e.failNext--
			d.Status = http.StatusInternalServerError
		default:
			d.Status = http.StatusNoContent
		}
		e.deliveries = append(e.deliveries, d)
	})
	w.WriteHeader(d.Status)
}
