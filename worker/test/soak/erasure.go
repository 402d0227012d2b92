package soak

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/chatwidget/identity/worker/test/contract"
)

// The erasure: halfway through the load (after the restart, if any) Run
// holds the load, erases some principals of every org (Principal.Erase:
// device-1 by the org's server or by its own widget, user-0 by the org's
// server by user id) and releases the load: the others chat on while the
// deletions run. The read-back then asks what must be gone (their old
// tokens refused with token_revoked, their exports 404), every deletion's
// count, the survivors' exports (checked as one more view of what is
// stored, check.go), and, when the worker has the development route GET
// /v1/admin/debug/kv, every key and value of the KV, none of which may hold
// an erased principal's mark or contact id.
//
// API.md ("A person's data") erases a verified user by user_id or email as
// "that verified identity": device-0's contact, which claims user-0's email
// without being verified, is not that identity, so it survives user-0's
// erasure with all its sessions, and its export must say so.

// How a principal is erased (Principal.Erase).
const (
	eraseByUserID    = "DELETE /v1/users?user_id="
	eraseByContactID = "DELETE /v1/contacts/{id}"
	eraseByWidget    = "DELETE /v1/widget/me"
)

// ErasureFindings are what the erasure check found; Violations counts its
// violations.
type ErasureFindings struct {
	Erased                         int // principals erased
	ErasedSessions, ErasedMessages int // what their deletions counted
	Exports                        int // survivors' exports read back
	KVKeysRead                     int // 0: the worker has no debug route
	Violations                     int
}

// Probe is one question the read-back asks of an erased principal, and the
// answer the contract gives after the erasure.
type Probe struct {
	Who, What      string
	Want, Status   int    // Status 0: no usable answer
	WantCode, Code string // the error codes wanted ("" any) and got
	Excerpt        string // the request and answer, or the error
}

// DeletionRead is an erased principal's deletion as GET /v1/deletions/{id}
// last answered.
type DeletionRead struct {
	Who                string
	Done               bool
	Sessions, Messages int
	Body               string
}

// erase holds the load (every operation under way finishes, none starts),
// erases every principal that has an Erase and releases the load, and
// returns the deletion ids by principal name.
func (l *load) erase(ctx context.Context, w *World) (map[string]string, error) {
	l.held.Lock()
	defer l.held.Unlock()
	out := map[string]string{}
	for i := range w.Principals {
		p, c := &w.Principals[i], l.c.expect(202)
		if p.Erase == "" {
			continue
		}
		l.rec.erase(p.Name)
		org := w.Orgs[p.Org]
		var r contract.Call[contract.DeletionAnswer]
		var err error
		switch p.Erase {
		case eraseByUserID:
			r, err = c.DeleteUser(ctx, contract.Identity{UserID: p.UserID}, server(org)...)
		case eraseByContactID:
			r, err = c.DeleteContact(ctx, p.ContactID, server(org)...)
		default:
			r, err = c.DeleteMe(ctx, widget(org, p)...)
		}
		switch {
		case err != nil:
			return nil, fmt.Errorf("erasing %s: %w", p.Name, err)
		case r.Value.Deletion.ID == "":
			return nil, fmt.Errorf("%s: no deletion id: %s", r.What(), shorten(r.Body, 200))
		}
		out[p.Name] = r.Value.Deletion.ID
	}
	return out, nil
}

// awaitDeletions polls every deletion until it is done, or for wait.
func awaitDeletions(ctx context.Context, c *client, w *World, deletions map[string]string, wait time.Duration) []DeletionRead {
	var out []DeletionRead
	deadline := time.Now().Add(wait)
	for name, id := range deletions {
		p := w.principal(name)
		d := DeletionRead{Who: name}
		for !d.Done && ctx.Err() == nil {
			r, err := c.expect(200).GetDeletion(ctx, id, server(w.Orgs[p.Org])...)
			if err != nil {
				d.Body = err.Error()
				break
			}
			v := r.Value.Deletion
			d.Done, d.Body = v.Status == "done", shorten(r.Body, 200)
			if v.Sessions != nil && v.Messages != nil {
				d.Sessions, d.Messages = *v.Sessions, *v.Messages
			}
			if !d.Done && (time.Now().After(deadline) || !sleep(ctx, 200*time.Millisecond)) {
				break
			}
		}
		out = append(out, d)
	}
	return out
}

// readErasure reads what the erasure check needs: every survivor's export,
// the probes of every erased principal, and the whole KV.
func (r *reader) readErasure(w *World, adminToken string) {
	ctx, c, marks := r.ctx, r.c, []string{}
	for i := range w.Principals {
		p := &w.Principals[i]
		org := w.Orgs[p.Org]
		export := func(id contract.Identity, cursor string, statuses ...int) (contract.Call[contract.Export], error) {
			if p.Verified {
				return c.expect(statuses...).ExportUser(ctx, id, cursor, server(org)...)
			}
			return c.expect(statuses...).ExportContact(ctx, p.ContactID, cursor, server(org)...)
		}
		if p.Erase == "" { // its export, as a listing; each session exported is one more view (check.go)
			exports := Listing{Who: serverName(org), Export: p.Name}
			r.list(exports, 0, func(pg contract.Page) (contract.Call[contract.SessionList], error) {
				res, err := export(contract.Identity{UserID: p.UserID}, pg.Cursor, 200)
				if err != nil {
					return contract.Call[contract.SessionList]{}, err
				}
				page := contract.Call[contract.SessionList]{Response: res.Response}
				page.Value.NextCursor = res.Value.NextCursor
				for _, s := range res.Value.Sessions {
					page.Value.Items = append(page.Value.Items, s.Session)
					rd := Read{Who: serverName(org), SessionID: s.Session.ID, Status: 200, Session: stored(s)}
					r.locked(func() { r.snap.Exports = append(r.snap.Exports, rd) })
				}
				return page, nil
			})
			continue
		}
		marks = append(marks, p.Mark, p.ContactID)
		r.probe(Probe{Who: p.Name, What: "its widget's listing, with its old token", Want: 401, WantCode: "token_revoked"}, func() (*contract.Response, error) {
			return contract.Resp(c.expect(200, 401).ListSessions(ctx, "", contract.Page{}, widget(org, p)...))
		})
		ids := []contract.Identity{{UserID: p.UserID}}
		if p.Verified {
			ids = append(ids, contract.Identity{Email: p.Email}) // user-0's email is device-0's too: still 404
		}
		for _, id := range ids {
			r.probe(Probe{Who: p.Name, What: "its export by its org's server", Want: 404}, func() (*contract.Response, error) {
				return contract.Resp(export(id, "", 200, 404))
			})
		}
	}
	r.spawn(func() { // no keys when the worker does not have that route
		keys, _, err := c.expect(200, 404).DumpKV(ctx, contract.Bearer(adminToken))
		if err != nil {
			r.fail("GET /v1/admin/debug/kv: %v", err)
		}
		r.locked(func() { r.snap.KVKeysRead, r.snap.KVHolding = len(keys), contract.Holding(keys, marks...) })
	})
	r.wg.Wait()
}

// probe asks one question of an erased principal.
func (r *reader) probe(pr Probe, ask func() (*contract.Response, error)) {
	r.spawn(func() {
		res, err := ask()
		if res != nil {
			pr.Status, pr.Excerpt = res.Status, res.What()+": "+shorten(res.Body, 200)
			if res.Error != nil {
				pr.Code = res.Error.Code
			}
		} else if err != nil {
			pr.Excerpt = err.Error()
		}
		r.locked(func() { r.snap.Probes = append(r.snap.Probes, pr) })
	})
}

// erasure checks the erasure: every probe answered as the contract says,
// every deletion done and counting what its principal had acknowledged,
// and nothing of theirs left in the KV. (That their sessions are 404 to
// everyone and listed by no one is the access check, check.go.)
func (c *checker) erasure() {
	f := &c.f.Erasure
	f.KVKeysRead = c.s.KVKeysRead
	for _, li := range c.s.Listings {
		if li.Export != "" {
			f.Exports++
		}
	}
	for _, pr := range c.s.Probes {
		if pr.Status != pr.Want || pr.WantCode != "" && pr.Code != pr.WantCode {
			c.f.count(&f.Violations, "erased %s: %s answers %d %q, want %d %q: %s", pr.Who, pr.What, pr.Status, pr.Code, pr.Want, pr.WantCode, pr.Excerpt)
		}
	}
	for _, p := range c.w.Principals {
		if p.Erase == "" {
			continue
		}
		f.Erased++
		sessions := c.l.acked(func(e SessionEntry) bool { return e.Owner == p.Name })
		messages := 0
		for _, m := range c.l.Messages {
			if m.Acked && slices.ContainsFunc(sessions, func(e SessionEntry) bool { return e.ID == m.SessionID }) {
				messages++
			}
		}
		i := slices.IndexFunc(c.s.Deletions, func(d DeletionRead) bool { return d.Who == p.Name })
		switch {
		case i < 0:
			c.f.count(&f.Violations, "erased %s (%s): no deletion read back", p.Name, p.Erase)
		case !c.s.Deletions[i].Done:
			c.f.count(&f.Violations, "erased %s (%s): the deletion is not done: %s", p.Name, p.Erase, c.s.Deletions[i].Body)
		case c.s.Deletions[i].Sessions != len(sessions) || c.s.Deletions[i].Messages != messages:
			c.f.count(&f.Violations, "erased %s (%s): the deletion counted %s, acknowledged %d sessions and %d messages", p.Name, p.Erase, c.s.Deletions[i].Body, len(sessions), messages)
		}
		if i >= 0 {
			f.ErasedSessions += c.s.Deletions[i].Sessions
			f.ErasedMessages += c.s.Deletions[i].Messages
		}
	}
	for _, k := range c.s.KVHolding {
		c.f.count(&f.Violations, "KV key %s holds a mark of an erased principal", k)
	}
}
