package store

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/kv"
)

// One read of messages (a session view's answer, an export page) holds at
// most maxMessagesListed messages and maxMessageBytesListed bytes of them as
// stored (their JSON, which is what the answer writes): a Worker's isolate
// has 128 MB, and 5,000 messages of 10,000 characters are 50 to 120 MB of
// JSON (ASCII to characters that JSON escapes) before the copies that
// decoding and answering make, where 5,000 short ones are 1 MB and 5 KV
// list calls. The read stops before the first message past either bound
// (it takes one message at least) and says that more follow.
const (
	maxMessagesListed     = 5000
	maxMessageBytesListed = 4 << 20
)

// WithReadLimits sets the bounds of one read of messages (see
// maxMessagesListed), for tests; a value of 0 keeps the default.
func WithReadLimits(messages, bytes int) Option {
	return func(s *Store) { s.readMsgs, s.readBytes = messages, bytes }
}

// readBudget is what one read may still take.
type readBudget struct {
	msgs, bytes int
	taken       int
}

func (s *Store) newBudget() *readBudget {
	b := &readBudget{msgs: maxMessagesListed, bytes: maxMessageBytesListed}
	if s.readMsgs > 0 {
		b.msgs = s.readMsgs
	}
	if s.readBytes > 0 {
		b.bytes = s.readBytes
	}
	return b
}

// spent reports whether the read can take no further message.
func (b *readBudget) spent() bool { return b.taken > 0 && (b.msgs <= 0 || b.bytes <= 0) }

// take counts a message of size bytes, unless it does not fit; the first
// message of a read always fits, so that every read goes on.
func (b *readBudget) take(size int) bool {
	if b.taken > 0 && (b.msgs <= 0 || size > b.bytes) {
		return false
	}
	b.msgs, b.bytes, b.taken = b.msgs-1, b.bytes-size, b.taken+1
	return true
}

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

// Messages is ReadMessages without saying whether more follow.
func (s *Store) Messages(ctx context.Context, sess *identity.Session, after string) ([]*identity.Message, error) {
	msgs, _, err := s.ReadMessages(ctx, sess, after)
	return msgs, err
}

// ReadMessages returns the session's messages oldest first, only those after
// the message id after when it is not empty, as many as one read holds (see
// maxMessagesListed); more says that messages follow the last one returned.
func (s *Store) ReadMessages(ctx context.Context, sess *identity.Session, after string) (msgs []*identity.Message, more bool, err error) {
	return s.readMessages(ctx, sess, after, s.newBudget())
}

func (s *Store) readMessages(ctx context.Context, sess *identity.Session, after string, b *readBudget) ([]*identity.Message, bool, error) {
	prefix := messagePrefix(sess.OrgID, sess.ID)
	out := []*identity.Message{}
	cursor := ""
	for {
		res, err := s.kv.List(ctx, kv.ListOptions{Prefix: prefix, Cursor: cursor})
		if err != nil {
			return nil, false, unavailable(err)
		}
		// The page's messages in order; a size of -1 is a message too long
		// for its key's metadata, read when the read gets to it.
		page := make([]*identity.Message, 0, len(res.Keys))
		sizes := make([]int, 0, len(res.Keys))
		for _, k := range res.Keys {
			id := k.Name[len(prefix):]
			if after != "" && id <= after {
				continue
			}
			m := &identity.Message{}
			size := len(k.Metadata)
			if size == 0 || json.Unmarshal(k.Metadata, m) != nil || m.ID != id {
				m, size = &identity.Message{ID: id}, -1
			}
			page, sizes = append(page, m), append(sizes, size)
		}
		for i := range page {
			if b.spent() {
				return out, true, nil
			}
			if sizes[i] < 0 {
				if err := s.fillMessages(ctx, prefix, page, sizes, i, b); err != nil {
					return nil, false, err
				}
			}
			if page[i] == nil {
				continue // erased since it was listed
			}
			if !b.take(sizes[i]) {
				return out, true, nil
			}
			out = append(out, page[i])
		}
		if res.Complete || res.Cursor == "" {
			return out, false, nil
		}
		cursor = res.Cursor
	}
}

// fillMessages reads, in one bulk read (one KV operation, where a Get each
// made a session of 1,000 such messages unreadable within Workers' 1,000
// operations an invocation), the messages of msgs too long to ride in
// metadata from the one at i on: at most kv.MaxGetMany of them, and no more
// than the bytes left in b could hold (each is longer than
// kv.MaxMetadataBytes), so that a read holds little more than its answer.
// One listed but gone by then (an erasure's batch ran between) becomes nil.
func (s *Store) fillMessages(ctx context.Context, prefix string, msgs []*identity.Message, sizes []int, i int, b *readBudget) error {
	most := min(kv.MaxGetMany, max(1, b.bytes/(kv.MaxMetadataBytes+1)+1))
	var idx []int
	for j := i; j < len(msgs) && len(idx) < most; j++ {
		if sizes[j] < 0 {
			idx = append(idx, j)
		}
	}
	keys := make([]string, len(idx))
	for j, k := range idx {
		keys[j] = prefix + msgs[k].ID
	}
	values, err := getMany(ctx, s.kv, keys)
	if err != nil {
		return err
	}
	for j, k := range idx {
		v, found := values[keys[j]]
		if !found {
			msgs[k] = nil // erased since it was listed: the read leaves it out
			sizes[k] = 0
			continue
		}
		if err := decodeAt(keys[j], v, func(v []byte) error { return unmarshal(v, msgs[k]) }); err != nil {
			return err
		}
		sizes[k] = len(v)
	}
	return nil
}
