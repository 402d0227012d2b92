//go:build !js

package e2e

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatwidget/identity/worker/test/contract"
	"github.com/chatwidget/identity/worker/test/wranglertest"
	"github.com/google/uuid"
)

// The trap route of `make trap-worker` (worker/trap.go).
const trapPath = "/__test/trap"

// TestTrapCostsOnlyTheRequestsInFlight makes the worker's instance trap on
// purpose, five times, while six widgets post messages: TinyGo cannot
// recover, so a panic ends the instance. Every request gets an answer (a
// trap request and those in flight with it the API's 500, every other the
// right one), the requests after a trap are served by a fresh instance, and
// each message, retried after a 500 with its Idempotency-Key as the widget
// does, is stored exactly once.
func TestTrapCostsOnlyTheRequestsInFlight(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the trap worker and runs its own wrangler dev")
	}
	wasm := filepath.Join(t.TempDir(), "app.wasm")
	if err := wranglertest.MakeWasm("trap-worker", "TRAP_OUT", wasm); err != nil {
		t.Fatal(err)
	}
	log := &tailBuffer{max: 4 << 20}
	t.Cleanup(func() {
		if t.Failed() {
			for _, line := range strings.Split(log.String(), "\n") {
				if strings.Contains(line, "trapped") || strings.Contains(line, "hung") || strings.Contains(line, " 500 ") {
					t.Log(line)
				}
			}
		}
	})
	// One device posts every message: its limit (120 a minute) is off.
	vars := map[string]string{"RATE_LIMIT_MESSAGES_PER_DEVICE": "0"}
	maps.Copy(vars, e2eVars)
	s := wranglertest.StartT(t, wranglertest.Options{Vars: vars, AppWasm: wasm, Log: log})
	ctx := context.Background()
	c := contract.New(s.URL, validator)
	// A request left hanging fails the test rather than waiting forever.
	c.HTTP = &http.Client{Timeout: 30 * time.Second}

	origin := "https://trap.example"
	created, err := c.CreateOrg(ctx, contract.CreateOrgRequest{Name: "Trap", AllowedOrigins: []string{origin}}, contract.Bearer(s.AdminToken))
	check(t, created.Response, err).expect(201)
	widget := c.With(contract.WidgetToken(created.Value.Org.WidgetToken), contract.Origin(origin))
	signedIn, err := widget.CreateContact(ctx, contract.ContactRequest{DeviceID: newDevice()})
	check(t, signedIn.Response, err).expect(200)
	w := widget.With(contract.Bearer(signedIn.Value.Token))
	session, err := w.CreateSession(ctx, contract.SessionRequest{})
	check(t, session.Response, err).expect(201)
	sessionID := session.Value.Session.ID

	const clients, traps = 6, 5
	var (
		mu       sync.Mutex
		acked    []string // contents answered 201
		first500 int      // messages whose first attempt was a 500
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				content, key := fmt.Sprintf("client %d message %d", i, n), uuid.NewString()
				for attempt := 0; ; attempt++ {
					r, err := w.PostUserMessage(ctx, sessionID, content, contract.IdempotencyKey(key))
					if err != nil {
						t.Errorf("%s: no answer: %v", content, err)
						return
					}
					if r.Status == 500 && isInternal(r.Response) && attempt < 10 {
						if attempt == 0 {
							mu.Lock()
							first500++
							mu.Unlock()
						}
						continue // the widget's retry, with the same key
					}
					if r.Status != 201 || r.AnswerErr != nil {
						t.Errorf("%s (attempt %d): %d %s %v", content, attempt, r.Status, r.Body, r.AnswerErr)
						return
					}
					mu.Lock()
					acked = append(acked, content)
					mu.Unlock()
					break
				}
			}
		})
	}
	for range traps {
		time.Sleep(400 * time.Millisecond)
		// Not in the OpenAPI document: sent without its validator.
		r, err := contract.New(s.URL, nil).Do(ctx, "POST", trapPath, nil)
		if err != nil {
			t.Fatalf("POST %s: no answer: %v", trapPath, err)
		}
		if r.Status != 500 || !isInternal(r) {
			t.Fatalf("POST %s: %d %s, want the API's 500", trapPath, r.Status, r.Body)
		}
	}
	time.Sleep(400 * time.Millisecond)
	close(stop)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	// Each trap ended an instance, and the worker said so.
	if got := strings.Count(log.String(), "the Go instance trapped"); got != traps {
		t.Errorf("wrangler's log tells of %d traps, want %d", got, traps)
	}
	// A trap fails only what was in flight with it.
	if first500 > traps*clients {
		t.Errorf("%d messages failed at first, more than the %d that can be in flight at %d traps", first500, traps*clients, traps)
	}
	// The next requests are served.
	me, err := w.GetMe(ctx)
	check(t, me.Response, err).expect(200)
	// Every acknowledged message is stored once, and nothing else is.
	detail, err := w.GetSession(ctx, sessionID, "")
	check(t, detail.Response, err).expect(200)
	stored := map[string]int{}
	for _, m := range detail.Value.Messages {
		stored[m.Content]++
	}
	for _, content := range acked {
		if stored[content] != 1 {
			t.Errorf("%q acknowledged, stored %d times", content, stored[content])
		}
		delete(stored, content)
	}
	for content, n := range stored {
		t.Errorf("%q stored %d times, never acknowledged", content, n)
	}
	if len(acked) < clients*traps {
		t.Errorf("only %d messages acknowledged under load", len(acked))
	}
	t.Logf("%d traps, %d messages acknowledged, %d failed at first (in flight at a trap), each stored once", traps, len(acked), first500)
}

// isInternal reports whether r is the API's 500 body.
func isInternal(r *contract.Response) bool {
	return r.Error != nil && r.Error.Code == "internal" && r.Error.Message != "" && r.AnswerErr == nil
}
