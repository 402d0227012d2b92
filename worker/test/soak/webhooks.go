package soak

import (
	"context"
	"fmt"
	"time"

	"github.com/chatwidget/identity/internal/webhook"
	"github.com/chatwidget/identity/worker/test/contract"
	"github.com/chatwidget/identity/worker/test/webhookrecv"
)

// The webhook check: with Target.Webhooks set, every org's webhook points at
// its own endpoint of that receiver (message.created), and after the load
// every acknowledged message must have produced exactly one event id
// (webhook.EventID of its org and id) at its org's endpoint, verified with
// that org's secret, and none at another org's. Several deliveries of one id
// are allowed (at least once) and counted.
//
// wrangler dev runs the Queue in memory: what it holds when it stops is gone
// after the restart, where a deployed Queue keeps it. And its broker runs on
// workerd's one thread beside the worker, which this load keeps busy: measured
// with 3 orgs, it delivered 110 of 1,235 events acknowledged in the first
// half while the load ran (every send had resolved), and the rest were in its
// memory when the restart came. So before the restart the soak holds the load
// (HoldSettle for the operations under way, then up to PreRestartWait) until
// every event of the messages acknowledged so far has arrived, and each must;
// then it releases the load and restarts at once. Only the events of
// messages acknowledged from the release until the worker answers again may
// have been in wrangler's queue when it stopped; they are counted apart if
// missing (LostAtRestart), not as violations. The events of the sessions of
// principals erased halfway are not expected: one still waiting for the
// receiver at the erasure is dropped (package webhook), so each came before
// it or not at all (OfErased counts those that came). Every other event
// must arrive.

// How long the held load's operations under way get to finish, and the
// bounds of the waits for the events before the restart and after the load.
// WebhookWait is longer than the queue's retry_delay (wrangler.toml, 60 s):
// a batch whose instance trapped (TestSoakWithTraps) is delivered again only
// then, and its events arrive late, not lost.
const HoldSettle, PreRestartWait, WebhookWait = 2 * time.Second, 20 * time.Second, 90 * time.Second

// WebhookFindings are what the webhook check found; Missing, Foreign and
// Unverified are violations.
type WebhookFindings struct {
	Checked       bool
	Expected      int // acknowledged messages
	Delivered     int // of those, whose event id arrived at their org
	Missing       int // acknowledged, no event
	LostAtRestart int // missing, acknowledged just before or during the restart (wrangler dev's queue is in memory)
	Duplicates    int // extra deliveries of an id already delivered
	Foreign       int // an event at an org that is not its own
	Unverified    int // a delivery the org's secret does not verify
	Others        int // events of no acknowledged message (a message stored without its 201)
	OfErased      int // events of messages of erased principals that came (before their erasure)
}

func (f WebhookFindings) violations() int { return f.Missing + f.Foreign + f.Unverified }

func endpointName(run string, o Org) string { return run + "-" + o.Name }

// setupWebhooks points every org's webhook at its endpoint.
func setupWebhooks(ctx context.Context, c *client, w *World, recv *webhookrecv.Receiver, run string) error {
	for _, o := range w.Orgs {
		name := endpointName(run, o)
		r, err := c.expect(200).PutWebhook(ctx, contract.WebhookRequest{URL: recv.Endpoint(name), Events: []string{webhook.MessageCreated}}, server(o)...)
		switch {
		case err != nil:
			return fmt.Errorf("setting the webhook of %s: %w", o.Name, err)
		case r.Value.Webhook.Secret == "":
			return fmt.Errorf("%s of %s: no secret: %s", r.What(), o.Name, shorten(r.Body, 200))
		}
		recv.SetSecrets(name, r.Value.Webhook.Secret)
	}
	return nil
}

// expectedEvents is the event id of every acknowledged message, less those
// in a session of a principal erased halfway, which are in erased.
func expectedEvents(w *World, l Ledger) (want map[string]MessageEntry, erased map[string]bool) {
	owner := map[string]string{}
	for _, s := range l.Sessions {
		if s.Acked {
			owner[s.ID] = s.Owner
		}
	}
	want, erased = map[string]MessageEntry{}, map[string]bool{}
	for _, m := range l.Messages {
		if !m.Acked {
			continue
		}
		id := webhook.EventID(w.Orgs[m.Org].ID, webhook.MessageCreated, m.ID)
		if p := w.principal(owner[m.SessionID]); p != nil && p.Erase != "" {
			erased[id] = true
			continue
		}
		want[id] = m
	}
	return want, erased
}

// waitWebhooks waits until every expected event arrived at its org, or for
// wait.
func waitWebhooks(ctx context.Context, w *World, l Ledger, recv *webhookrecv.Receiver, run string, wait time.Duration) {
	want, _ := expectedEvents(w, l)
	complete := func() bool {
		var arrived []map[string][]webhookrecv.Delivery // by org
		for _, o := range w.Orgs {
			arrived = append(arrived, recv.Accepted(endpointName(run, o)))
		}
		for id, m := range want {
			if len(arrived[m.Org][id]) == 0 {
				return false
			}
		}
		return true
	}
	for deadline := time.Now().Add(wait); time.Now().Before(deadline) && !complete() && sleep(ctx, 250*time.Millisecond); {
	}
}

// checkWebhooks compares what the receiver got with the ledger; a missing
// event of a message acknowledged between lossFrom and lossTo is counted as
// lost at the restart.
func checkWebhooks(f *Findings, w *World, l Ledger, recv *webhookrecv.Receiver, run string, lossFrom, lossTo time.Time) {
	wf := &f.Webhooks
	wf.Checked = true
	want, erased := expectedEvents(w, l)
	sessionOrg := map[string]int{}
	for _, s := range l.acked(all) {
		sessionOrg[s.ID] = s.Org
	}
	for i, o := range w.Orgs {
		seen := map[string]int{}
		for _, d := range recv.Deliveries(endpointName(run, o)) {
			if d.Status == 401 {
				f.count(&wf.Unverified, "webhook: %s got a delivery (%s) its secret does not verify: %s", o.Name, d.ID, d.VerifyErr)
				continue
			}
			if d.Status != 204 {
				continue
			}
			m, known := want[d.ID]
			foreign := known && m.Org != i
			if sess, _ := d.Data["session"].(map[string]any); sess != nil {
				org, known := sessionOrg[fmt.Sprint(sess["id"])]
				foreign = foreign || known && org != i
			}
			if foreign {
				f.count(&wf.Foreign, "webhook: %s got event %s of another org", o.Name, d.ID)
				continue
			}
			seen[d.ID]++
		}
		for id, n := range seen {
			if n > 1 {
				wf.Duplicates += n - 1
			}
			if _, ok := want[id]; erased[id] {
				wf.OfErased++
			} else if !ok {
				wf.Others++
			}
		}
		for id, m := range want {
			if m.Org != i {
				continue
			}
			wf.Expected++
			switch {
			case seen[id] > 0:
				wf.Delivered++
			case !lossFrom.IsZero() && m.AckedAt.After(lossFrom) && m.AckedAt.Before(lossTo):
				wf.LostAtRestart++
			default:
				f.count(&wf.Missing, "webhook: message %s of %s (acknowledged %s) produced no event %s", m.ID, o.Name, m.AckedAt.Format(time.RFC3339Nano), id)
			}
		}
	}
}
