package attack

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"sort"
	"strconv"
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
	for name, s := range f.world.Sessions {
		add("session "+name, "GET /v1/sessions/{"+name+"}", "Authorization", "Bearer {"+s.Org+".key}")
	}
	add("session missing session", "GET /v1/sessions/{Missing}", "Authorization", "Bearer {A.key}")
	for name, a := range f.world.Actors {
		h := []string{"X-Widget-Token", "{" + a.Org + ".pk}", "Authorization", "Bearer {" + name + "}"}
		add("me of "+name, "GET /v1/widget/me", h...)
		add("sessions of "+name, "GET /v1/widget/sessions?limit=100", h...)
	}
	add("deleted api key", "GET /v1/sessions?limit=1", "Authorization", "Bearer {deleted}")
	add("probe origin preflight", "OPTIONS /v1/widget/contacts", "Origin", "{probe}", "Access-Control-Request-Method", "POST")
	add("evil origin preflight", "OPTIONS /v1/widget/contacts", "Origin", "{evil}", "Access-Control-Request-Method", "POST")
	return ps
}

// observeAPI reads the state through the API, 8 probes at a time.
func (r *runner) observeAPI(ctx context.Context) state {
	ps := r.f.probes()
	out := make(state, len(ps))
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, p := range ps {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			v := "no answer: "
			if res, err := r.send(ctx, p.req); err != nil {
				v += err.Error()
			} else {
				v = strconv.Itoa(res.Status) + " " + string(res.Body)
			}
			mu.Lock()
			out["api: "+p.name] = v
			mu.Unlock()
		})
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

// PersistSnapshot returns a Target.Snapshot for a worker run by `wrangler
// dev --persist-to dir`: every value blob of its local KV that it has seen
// (dir/v3/kv/<namespace>/blobs). Miniflare writes each KV put, an empty value
// or an overwrite of the same key included, to a new blob file before the
// worker answers, and a read writes none; so a put shows as a blob the
// snapshot had not seen.
//
// The snapshot remembers the blobs it saw and never forgets one: miniflare
// deletes the blobs of expired keys by itself, which is no write of the request, and a deletion by a
// request is left to the runner's observation through the API. SQLite's
// files are not looked at: expiry rewrites them too.
//
// A blob directory that cannot be read is reported as an entry of its own,
// so a case never passes on a snapshot that saw nothing.
func PersistSnapshot(dir string) func() map[string]string {
	var mu sync.Mutex
	seen := map[string]string{}
	return func() map[string]string {
		mu.Lock()
		defer mu.Unlock()
		root := filepath.Join(dir, "v3", "kv")
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && filepath.Base(filepath.Dir(path)) == "blobs" {
				rel, _ := filepath.Rel(dir, path)
				seen[filepath.ToSlash(rel)] = ""
			}
			return nil
		})
		out := maps.Clone(seen)
		if err != nil {
			out["(unreadable) "+root] = err.Error()
		}
		return out
	}
}
