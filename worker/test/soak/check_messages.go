package soak

import (
	"slices"
	"sort"
	"strings"
)

// view is one way of reading the stored messages: the org servers' reads or
// the owners' widget reads.
type view struct {
	name     string
	sessions map[string]StoredSession // session id -> as read
	byText   map[string][]located     // content -> where it is stored
}

type located struct {
	session string
	msg     StoredMessage
}

func (c *checker) views() []*view {
	org := &view{name: "org server", sessions: map[string]StoredSession{}}
	for _, ob := range c.s.Orgs {
		for id, st := range ob.Sessions {
			org.sessions[id] = st
		}
	}
	widget := &view{name: "owner's widget", sessions: map[string]StoredSession{}}
	for _, pb := range c.s.Principals {
		for id, st := range pb.Sessions {
			if info, ok := c.known[id]; ok && info.entry.Owner == pb.Principal {
				widget.sessions[id] = st
			}
		}
	}
	for _, v := range []*view{org, widget} {
		v.byText = map[string][]located{}
		for id, st := range v.sessions {
			for _, m := range st.Messages {
				v.byText[m.Content] = append(v.byText[m.Content], located{session: id, msg: m})
			}
		}
	}
	return []*view{org, widget}
}

// messages checks that every acknowledged message is stored exactly once,
// in its session, as acknowledged, in every view that read that session.
func (c *checker) messages() {
	views := c.views()
	sent := map[string]bool{}
	lost, dup, misplaced := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, e := range c.l.Messages {
		sent[e.Content] = true
		if e.Acked {
			c.f.Messages.Acknowledged++
			if e.Role == "agent" {
				c.f.AgentMessages++
			} else {
				c.f.UserMessages++
			}
		} else {
			c.f.UnackedMessages++
			if len(views[0].byText[e.Content]) > 0 {
				c.f.UnackedMessagesStored++
			}
		}
		for _, v := range views {
			locs := v.byText[e.Content]
			if _, read := v.sessions[e.SessionID]; e.Acked && read && len(locs) == 0 {
				lost[e.Key] = true
				c.f.problem("message %s (Idempotency-Key %q, %s) in session %s: acknowledged with 201, not stored (%s view)", e.ID, e.Key, e.Author, e.SessionID, v.name)
			}
			if len(locs) > 1 {
				dup[e.Key] = true
				c.f.problem("message (Idempotency-Key %q, %s): stored %d times: %s (%s view)", e.Key, e.Author, len(locs), describe(locs), v.name)
			}
			// Misplaced: no copy is where and as it was acknowledged (the
			// extra copies of a duplicate are counted as duplicates only).
			if len(locs) > 0 && !slices.ContainsFunc(locs, func(at located) bool { return storedAsSent(e, at) }) {
				at := locs[0]
				misplaced[e.Key] = true
				c.f.problem("message (Idempotency-Key %q, %s): stored as %s with role %q and session_id %s in session %s; acknowledged as %s in session %s, role %q (%s view)",
					e.Key, e.Author, at.msg.ID, at.msg.Role, at.msg.SessionID, at.session, ackedID(e), e.SessionID, e.Role, v.name)
			}
		}
	}
	c.f.Messages.Lost, c.f.Messages.Duplicated, c.f.Messages.Misplaced = len(lost), len(dup), len(misplaced)
	unexpected := map[string]bool{}
	for _, v := range views {
		for text, locs := range v.byText {
			if !sent[text] && !unexpected[text] {
				unexpected[text] = true
				c.f.problem("message %s in session %s: the soak never sent it: %q (%s view)", locs[0].msg.ID, locs[0].session, shorten([]byte(text), 80), v.name)
			}
		}
		// Stored order: ids ascending, oldest first.
		for id, st := range v.sessions {
			for i := 1; i < len(st.Messages); i++ {
				if st.Messages[i-1].ID >= st.Messages[i].ID {
					c.f.OutOfOrder++
					c.f.problem("session %s: message %s is returned after %s (%s view): not oldest first", id, st.Messages[i].ID, st.Messages[i-1].ID, v.name)
				}
			}
		}
	}
	c.f.Messages.Unexpected = len(unexpected)
}

// order checks the ids of each session's acknowledged messages against the
// order of acknowledgement: a message acknowledged before another was first
// sent must have the smaller id (message ids sort in the order accepted).
// Messages sent while another was in flight may be accepted in either order.
func (c *checker) order() {
	bySession := map[string][]MessageEntry{}
	for _, e := range c.l.Messages {
		if e.Acked {
			bySession[e.SessionID] = append(bySession[e.SessionID], e)
		}
	}
	for sid, ms := range bySession {
		sort.Slice(ms, func(i, j int) bool { return ms[i].AckedAt.Before(ms[j].AckedAt) })
		for j, b := range ms {
			for _, a := range ms[:j] {
				if a.AckedAt.Before(b.FirstSent) && a.ID >= b.ID {
					c.f.OutOfOrder++
					c.f.problem("session %s: message %s (%q) was acknowledged before %s (%q) was sent, yet its id is not smaller", sid, a.ID, a.Key, b.ID, b.Key)
					break
				}
			}
		}
	}
}

func describe(locs []located) string {
	parts := make([]string, len(locs))
	for i, l := range locs {
		parts[i] = l.msg.ID + " in " + l.session
	}
	return strings.Join(parts, ", ")
}

// storedAsSent reports whether at is e as sent and, if acknowledged, as
// acknowledged: same session, role and id.
func storedAsSent(e MessageEntry, at located) bool {
	return at.session == e.SessionID && at.msg.SessionID == e.SessionID && at.msg.Role == e.Role && (!e.Acked || at.msg.ID == e.ID)
}

func ackedID(e MessageEntry) string {
	if e.Acked {
		return e.ID
	}
	return "(not acknowledged)"
}
