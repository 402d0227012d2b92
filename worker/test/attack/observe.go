package attack

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// state is what the runner can see of what is stored: a name per
// observation and what it saw.
type state map[string]string

// probe is one read-only request of an observation.
type probe struct {
	name string
	req  Request
}

// probes are the reads that together show what a refused request could have
// changed: a session or message created or changed (org listings, each
// fixture session with its messages, each principal's listing), a contact or
// user changed (/me), a revocation (/me of the verified tokens), a deleted or
// created api key (the fixture's keys), an org created for the probe origin
// (its preflight).
func (f *Fixture) probes() []probe {
	var ps []probe
	add := func(name, route string, h ...string) { ps = append(ps, probe{name, f.req(route, "", h...)}) }
	add("org A sessions", "GET /v1/sessions?limit=100", "Authorization", "Bearer {A.key}")
	add("org B sessions", "GET /v1/sessions?limit=100", "Authorization", "Bearer {B.key}")
	for _, s := range []string{"SA1", "SA1b", "SA2", "SA3", "SV", "SVws1", "SVws2", "SR", "SB1", "SBV", "Missing"} {
		name, org := "session "+s, "A"
		if s == "Missing" {
			name = "session missing session"
		}
		if strings.HasPrefix(s, "SB") {
			org = "B"
		}
		add(name, "GET /v1/sessions/{"+s+"}", "Authorization", "Bearer {"+org+".key}")
	}
	for _, p := range []struct{ name, org, tok string }{
		{"A1", "A", "CA1"}, {"A2", "A", "CA2"}, {"A3", "A", "CA3"}, {"B1", "B", "CB1"},
		{"V", "A", "V"}, {"VExt", "A", "VExt"}, {"VB", "B", "VB"}, {"R", "A", "R"},
	} {
		h := []string{"X-Widget-Token", "{" + p.org + ".pk}", "Authorization", "Bearer {" + p.tok + "}"}
		add("me of "+p.name, "GET /v1/widget/me", h...)
		add("sessions of "+p.name, "GET /v1/widget/sessions?limit=100", h...)
	}
	add("deleted api key", "GET /v1/sessions?limit=1", "Authorization", "Bearer {deleted}")
	add("probe origin preflight", "OPTIONS /v1/widget/contacts", "Origin", "{probe}", "Access-Control-Request-Method", "POST")
	add("evil origin preflight", "OPTIONS /v1/widget/contacts", "Origin", "{evil}", "Access-Control-Request-Method", "POST")
	return ps
}

// observeAPI reads the state through the API.
func (r *runner) observeAPI(ctx context.Context) state {
	ps := r.f.probes()
	out := make(state, len(ps))
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, r.t.Parallel)
	for _, p := range ps {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			res := r.send(ctx, p.req)
			v := strconv.Itoa(res.Status) + " " + string(res.Body)
			if res.Err != nil {
				v = "no answer: " + res.Err.Error()
			}
			mu.Lock()
			out["api: "+p.name] = v
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

// observeStore reads the store itself, when the target can.
func (r *runner) observeStore() state {
	out := state{}
	if r.t.Snapshot != nil {
		for k, v := range r.t.Snapshot() {
			out["store: "+k] = v
		}
	}
	return out
}

// diff names what differs between two states (at most limit names).
func diff(before, after state, limit int) []string {
	var names []string
	for k, v := range before {
		if w, ok := after[k]; !ok {
			names = append(names, k+" (removed)")
		} else if w != v {
			names = append(names, k+" (changed)")
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			names = append(names, k+" (added)")
		}
	}
	sort.Strings(names)
	if len(names) > limit {
		names = append(names[:limit], fmt.Sprintf("and %d more", len(names)-limit))
	}
	return names
}
