package soak

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Report is what a run prints.
type Report struct {
	Target string
	Config Config
	World  string // e.g. "3 orgs × (6 devices + 4 verified users)"

	Requests [numPhases]int // sent, by phase (every attempt counts)
	// Replayed counts answers marked "Idempotent-Replayed: true": retries
	// that got the first result of their Idempotency-Key.
	Replayed         int
	Errors           []KindCount // errors by kind, largest first
	Anomalies        []Anomaly   // answers the contract does not allow, by kind
	AnomaliesDropped int         // anomalies of kinds beyond those kept

	Findings *Findings

	Began         time.Time // when the run began; the report's times are offsets from it
	Restarted     bool
	RestartAt     time.Duration // when the restart was called
	RestartCall   time.Duration // how long Restart took: stop, start, until the worker answered
	RestartCost   time.Duration // from the restart call until a client was served again
	RestartServed bool          // false: no client was served after the restart
	// Traps counts the traps of Target.Trap under load that the worker
	// answered with its 500.
	Traps int

	Load    time.Duration // how long the load ran, restart included
	Elapsed time.Duration // the whole run
}

// ErrViolations is wrapped by Report.Err when the check found violations.
var ErrViolations = errors.New("soak: the worker lost, duplicated, misplaced or exposed data")

// when says at what times (offsets from the start of the run) something
// happened, and how many of them fell while the worker restarted.
func (r *Report) when(times []time.Time, count int) string {
	const shown = 6
	var parts []string
	during, end := 0, r.RestartAt+max(r.RestartCall, r.RestartCost)
	for i, t := range times {
		at := t.Sub(r.Began)
		if r.Restarted && at >= r.RestartAt && at <= end {
			during++
		}
		if i < shown {
			parts = append(parts, "+"+at.Round(100*time.Millisecond).String())
		}
	}
	s := strings.Join(parts, ", ")
	if count > shown {
		s += ", …"
	}
	if r.Restarted {
		s += fmt.Sprintf(" (%d of the first %d while the worker restarted)", during, len(times))
	}
	return s
}

// Err is nil when the run found no violation; Print shows them by kind.
func (r *Report) Err() error {
	if f := r.Findings; f != nil && f.Violations() > 0 {
		return fmt.Errorf("%w: %d violations", ErrViolations, f.Violations())
	}
	return nil
}

// maxProblemsShown bounds the problems printed; the count says how many more.
const maxProblemsShown = 30

// Print writes the report for a person.
func (r *Report) Print(out io.Writer) {
	p := func(label, format string, args ...any) {
		fmt.Fprintf(out, "  %-17s %s\n", label, fmt.Sprintf(format, args...))
	}
	ms := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	tenths := func(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }
	fmt.Fprintf(out, "soak against %s: %s, load %v (max %d requests), think %v\n", r.Target, r.World, r.Config.Duration, r.Config.MaxRequests, r.Config.Think)
	p("requests sent", "%d (setup %d, load %d, read-back %d) in %v, load %v", r.Requests[PhaseSetup]+r.Requests[PhaseLoad]+r.Requests[PhaseReadback],
		r.Requests[PhaseSetup], r.Requests[PhaseLoad], r.Requests[PhaseReadback], ms(r.Elapsed), ms(r.Load))
	p("replayed", "%d retries answered with the first result of their Idempotency-Key (Idempotent-Replayed)", r.Replayed)
	var errs []string
	for _, e := range r.Errors {
		errs = append(errs, fmt.Sprintf("%s: %d", e.Kind, e.Count))
	}
	p("errors by kind", "%s", cmp.Or(strings.Join(errs, ", "), "none"))
	if f := r.Findings; f != nil {
		p("sessions", "acknowledged %d, lost %d, duplicated %d, misplaced %d, unexpected %d",
			f.Sessions.Acknowledged, f.Sessions.Lost, f.Sessions.Duplicated, f.Sessions.Misplaced, f.Sessions.Unexpected)
		p("messages", "acknowledged %d (user %d, agent %d), lost %d, duplicated %d, misplaced %d, unexpected %d, out of order %d",
			f.Messages.Acknowledged, f.UserMessages, f.AgentMessages, f.Messages.Lost, f.Messages.Duplicated, f.Messages.Misplaced, f.Messages.Unexpected, f.OutOfOrder)
		p("unacknowledged", "%d session and %d message attempts given up at the end; stored (at most once each): %d and %d",
			f.UnackedSessions, f.UnackedMessages, f.UnackedSessionsStored, f.UnackedMessagesStored)
		p("visibility", "%d checks, %d violations", f.VisibilityChecks, f.Visibility)
		if f.ReadErrors > 0 {
			p("read errors", "%d", f.ReadErrors)
		}
		e, kv := f.Erasure, "the KV not read (the worker has no GET /v1/admin/debug/kv)"
		if e.KVKeysRead > 0 {
			kv = fmt.Sprintf("%d KV keys read after", e.KVKeysRead)
		}
		p("erasure", "%d principals erased halfway; their deletions removed %d sessions and %d messages; %d survivors' exports read; %s; %d violations",
			e.Erased, e.ErasedSessions, e.ErasedMessages, e.Exports, kv, e.Violations)
		if wf := f.Webhooks; !wf.Checked {
			p("webhook events", "not checked (the target has no receiver)")
		} else {
			p("webhook events", "%d of %d acknowledged messages delivered to their org, verified; missing %d, at another org %d, unverified %d; %d extra deliveries of an id (at least once), %d events of messages stored without their 201; %d of erased principals' messages, delivered before their erasure (the rest are dropped)",
				wf.Delivered, wf.Expected, wf.Missing, wf.Foreign, wf.Unverified, wf.Duplicates, wf.Others, wf.OfErased)
			if wf.LostAtRestart > 0 {
				p("", "%d events of messages acknowledged in the last moments before the restart were still in wrangler dev's in-memory queue when it stopped and went with it (a deployed Queue keeps them); every earlier one had arrived", wf.LostAtRestart)
			}
		}
	}
	if r.Traps > 0 {
		p("traps", "%d, about one every %v under load: each ended the worker's instance and failed the requests in flight with it", r.Traps, r.Config.TrapEvery)
	}
	switch {
	case !r.Restarted:
		p("restart", "none")
	case r.RestartServed:
		p("restart", "cost %v: from stopping the worker (at %v) until a client was served again; Restart returned after %v", ms(r.RestartCost), tenths(r.RestartAt), ms(r.RestartCall))
	default:
		p("restart", "at %v; Restart returned after %v; no client was served after it", tenths(r.RestartAt), ms(r.RestartCall))
	}
	anomalies := "none"
	if len(r.Anomalies) > 0 {
		anomalies = "answers the contract does not allow, or none in time (times from the start of the run):"
	}
	p("anomalies", "%s", anomalies)
	for _, a := range r.Anomalies {
		got := fmt.Sprintf("%d %s", a.Status, a.Got)
		if a.Status == 0 {
			got = "no answer: " + a.Got
		}
		fmt.Fprintf(out, "    %d× %s %s with %s: got %s; expected %s; at %s\n", a.Count, a.Method, a.Route, a.Input, got, a.Expected, r.when(a.Times, a.Count))
	}
	if r.AnomaliesDropped > 0 {
		fmt.Fprintf(out, "    … and %d more of other kinds\n", r.AnomaliesDropped)
	}
	if f := r.Findings; f != nil && len(f.Problems) > 0 {
		fmt.Fprintf(out, "  violations:\n")
		for _, pr := range f.Problems[:min(len(f.Problems), maxProblemsShown)] {
			fmt.Fprintf(out, "    %s\n", pr)
		}
		if more := len(f.Problems) - maxProblemsShown; more > 0 {
			fmt.Fprintf(out, "    … and %d more\n", more)
		}
	}
	result := "PASS"
	if err := r.Err(); err != nil {
		result = "FAIL: " + err.Error()
	}
	p("result", "%s", result)
}
