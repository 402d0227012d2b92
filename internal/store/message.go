package store

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/chatwidget/identity/internal/conc"
	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/kv"
)

// maxMessagesListed bounds one read of a session's messages.
const maxMessagesListed = 5000

func messagePrefix(orgID, sessionID string) string {
	return "msg/" + orgID + "/" + sessionID + "/"
}

// PrepareMessage makes the message to add to sess, with an id greater than
// every id of sess so far. Nothing is stored yet.
func (s *Store) PrepareMessage(sess *identity.Session, role identity.Role, content, authorName string) *identity.Message {
	after := ""
	if sess.LastMessage != nil {
		after = sess.LastMessage.ID
	}
	return &identity.Message{
		ID:         s.newV7(after),
		SessionID:  sess.ID,
		Role:       role,
		Content:    content,
		AuthorName: authorName,
		CreatedAt:  s.Now(),
	}
}

// AddMessage stores msg in sess (which the caller may see), then updates the
// session's summary. The message is stored once its key is written; a failed
// summary update is returned as summaryErr and loses nothing.
func (s *Store) AddMessage(ctx context.Context, sess *identity.Session, msg *identity.Message) (summaryErr, err error) {
	if err := s.putMessage(ctx, sess.OrgID, msg); err != nil {
		return nil, err
	}
	return s.touchSession(ctx, sess, msg), nil
}

// putMessage writes msg, with itself as its key's metadata when it fits (for
// a listing of messages in one list call).
func (s *Store) putMessage(ctx context.Context, orgID string, msg *identity.Message) error {
	b, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	var opts kv.PutOptions
	if len(b) <= kv.MaxMetadataBytes {
		opts.Metadata = b
	}
	return s.put(ctx, messagePrefix(orgID, msg.SessionID)+msg.ID, b, opts)
}

// touchSession makes msg the session's last message, unless a later one is
// already there.
func (s *Store) touchSession(ctx context.Context, sess *identity.Session, msg *identity.Message) error {
	if sess.LastMessage != nil && sess.LastMessage.ID >= msg.ID {
		return nil
	}
	updated := *sess
	updated.LastMessage = msg
	if msg.CreatedAt.After(updated.UpdatedAt) {
		updated.UpdatedAt = msg.CreatedAt
	}
	if err := s.writeSession(ctx, &updated); err != nil {
		return err
	}
	// updated came from a read that a claim may have overtaken.
	if err := s.keepClaim(ctx, &updated); err != nil {
		return err
	}
	*sess = updated
	return nil
}

// EnsureMessage makes sure msg, accepted earlier under an idempotency key, is
// stored: a request that died after reserving it is completed by its retry.
func (s *Store) EnsureMessage(ctx context.Context, sess *identity.Session, msg *identity.Message) error {
	_, err := s.EnsureMessageWrote(ctx, sess, msg)
	return err
}

// EnsureMessageWrote is EnsureMessage, reporting whether the message had to
// be written (the first request stopped before it was stored).
func (s *Store) EnsureMessageWrote(ctx context.Context, sess *identity.Session, msg *identity.Message) (wrote bool, err error) {
	_, found, err := s.kv.Get(ctx, messagePrefix(sess.OrgID, msg.SessionID)+msg.ID)
	if err != nil {
		return false, unavailable(err)
	}
	if !found {
		if err := s.putMessage(ctx, sess.OrgID, msg); err != nil {
			return false, err
		}
	}
	_ = s.touchSession(ctx, sess, msg)
	return !found, nil
}

// EnsureSession makes sure sess, accepted earlier under an idempotency key,
// is stored.
func (s *Store) EnsureSession(ctx context.Context, sess *identity.Session) error {
	_, err := s.EnsureSessionWrote(ctx, sess)
	return err
}

// ErrClaimedAway is EnsureSessionWrote's answer for a session that is no
// longer its creator's: stored under another owner (claimed), or not stored
// and its contact had sessions claimed since it was accepted (written back,
// it could bring back a session its claimer had erased). The caller serves
// the request as a new one: the creator no longer sees that session.
var ErrClaimedAway = errors.New("store: the session was claimed away from its creator")

// EnsureSessionWrote is EnsureSession, reporting whether the session had to
// be written; ErrClaimedAway when it is no longer its creator's.
func (s *Store) EnsureSessionWrote(ctx context.Context, sess *identity.Session) (wrote bool, err error) {
	stored, err := s.Session(ctx, sess.OrgID, sess.ID)
	if err == nil && stored.Owner.Key != sess.Owner.Key {
		return false, ErrClaimedAway
	}
	if !errors.Is(err, identity.ErrNotFound) {
		return false, err
	}
	if !sess.Owner.Verified {
		claimed, err := s.claimedSince(ctx, sess.OrgID, sess.Owner.Key, sess.CreatedAt)
		if err != nil {
			return false, err
		}
		if claimed {
			return false, ErrClaimedAway
		}
	}
	return true, s.writeSession(ctx, sess)
}

// Messages returns the session's messages oldest first, only those after the
// message id after when it is not empty.
func (s *Store) Messages(ctx context.Context, sess *identity.Session, after string) ([]*identity.Message, error) {
	prefix := messagePrefix(sess.OrgID, sess.ID)
	out := []*identity.Message{}
	cursor := ""
	for len(out) < maxMessagesListed {
		res, err := s.kv.List(ctx, kv.ListOptions{Prefix: prefix, Cursor: cursor})
		if err != nil {
			return nil, unavailable(err)
		}
		var missing []int
		for _, k := range res.Keys {
			id := k.Name[len(prefix):]
			if after != "" && id <= after {
				continue
			}
			var m identity.Message
			if len(k.Metadata) == 0 || json.Unmarshal(k.Metadata, &m) != nil || m.ID != id {
				missing = append(missing, len(out))
				m = identity.Message{ID: id}
			}
			out = append(out, &m)
		}
		if err := s.fillMessages(ctx, prefix, out, missing); err != nil {
			return nil, err
		}
		if len(missing) > 0 {
			out = slices.DeleteFunc(out, func(m *identity.Message) bool { return m == nil })
		}
		if res.Complete || res.Cursor == "" {
			break
		}
		cursor = res.Cursor
	}
	return out, nil
}

// fillMessages reads, at once, the messages too long to ride in metadata:
// a bulk read (one KV operation) for each kv.MaxGetMany of them, so that a
// long chat of long messages stays far under Workers' 1,000 operations an
// invocation (a Get each made a session of 1,000 such messages unreadable).
// One listed but gone by then (an erasure's batch ran between) becomes nil.
func (s *Store) fillMessages(ctx context.Context, prefix string, msgs []*identity.Message, idx []int) error {
	var fns []func() error
	for start := 0; start < len(idx); start += kv.MaxGetMany {
		part := idx[start:min(start+kv.MaxGetMany, len(idx))]
		fns = append(fns, func() error {
			keys := make([]string, len(part))
			for j, i := range part {
				keys[j] = prefix + msgs[i].ID
			}
			values, err := getMany(ctx, s.kv, keys)
			if err != nil {
				return err
			}
			for j, i := range part {
				b, found := values[keys[j]]
				if !found {
					msgs[i] = nil // erased since it was listed: Messages leaves it out
					continue
				}
				if err := decodeAt(keys[j], b, func(b []byte) error { return unmarshal(b, msgs[i]) }); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return conc.All(fns...)
}
