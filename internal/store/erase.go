package store

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/chatwidget/identity/internal/conc"
	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/google/uuid"
)

// A person's erasure (see doc.go, "Erasing a person"). Deleting answers at
// once with a Deletion; from then on the person's tombstone refuses their
// tokens and hides their sessions, and Step removes what is stored of them,
// a batch at a time, driven by the API's queue.

// Deletion statuses.
const (
	DeletionPending = "pending"
	DeletionDone    = "done"
)

// DeletionBatchOps bounds the KV operations of one Step. The queue hands up
// to 10 messages to one invocation (wrangler.toml's max_batch_size), which
// Workers allows 1,000 operations in all: 10 steps of 90 leave room for
// the other jobs of the batch.
const DeletionBatchOps = 90

// Deletion is the record of one erasure: what GET /v1/deletions/{id} shows,
// and while pending the job's state. The job's fields name the person only
// by hashes, except the contact id, which the job needs to delete the
// contact's record and which is cleared when the job is done.
type Deletion struct {
	ID          string     `json:"id"`
	Status      string     `json:"status"`
	RequestedAt time.Time  `json:"requested_at"`
	CompletedAt *time.Time `json:"completed_at"`
	Sessions    int        `json:"sessions"`
	Messages    int        `json:"messages"`

	OrgID string `json:"org,omitempty"`
	// Step counts the batches done: a queue message for another step is a
	// stale or early delivery.
	Step int `json:"step,omitempty"`
	// Owner is hashKey of the person's principal key (their listing's
	// prefix and their idempotency records' scope).
	Owner string `json:"owner,omitempty"`
	// Profile is the key of the user's record (a hash of the identity key).
	Profile string `json:"profile,omitempty"`
	// Claimer is a user's name in the claim markers of its claims
	// (hashKey("claimer", principal)), which the erasure deletes: their
	// metadata holds the user's owner record.
	Claimer string `json:"claimer,omitempty"`
	// ContactID and Device name a contact's record and device index.
	ContactID string `json:"cid,omitempty"`
	Device    string `json:"device,omitempty"`
	// Phase: 0 sessions, 1 the sweep, 2 the person's own records.
	Phase int `json:"phase,omitempty"`
	// Erased is the sessions removed, which the sweep goes over again
	// (from Swept on) for a message a request in flight wrote after them.
	Erased []string `json:"erased,omitempty"`
	Swept  int      `json:"swept,omitempty"`
	// Relisted is set once the sweep has listed the person's sessions
	// again, for one that a request in flight created after the first list.
	Relisted bool `json:"relisted,omitempty"`
	// Kept is the sessions of the identity's new history (authenticated
	// again after the erasure) whose idempotency answers stay.
	Kept []string `json:"kept,omitempty"`
	// UpdatedAt is when a batch last wrote the record.
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// erasedSet is d.Erased as a set, for the answers' sweeps to look sessions
// up in.
func (d *Deletion) erasedSet() map[string]bool {
	erased := make(map[string]bool, len(d.Erased))
	for _, id := range d.Erased {
		erased[id] = true
	}
	return erased
}

// SweepDelay is how long after its sessions are removed an erasure goes
// over them again: longer than a request takes between the tombstone check
// that let it through and its last write.
const SweepDelay = 5 * time.Second

// stallAfter is how long a pending deletion's record may stand still before
// a status read sends its batch again.
const stallAfter = 30 * time.Second

// Tombstone says that a person was erased at At: their tokens issued until
// then are refused and their sessions owned since before it are gone.
type Tombstone struct {
	Deletion string    `json:"d"`
	At       time.Time `json:"at"`
}

// Hides reports whether sess, owned by the tombstone's person, is erased.
func (t *Tombstone) Hides(sess *identity.Session) bool {
	return t != nil && !ownedSince(sess).After(t.At)
}

// ownedSince is when the session's owner got it: when the token was issued
// whose request created or claimed it (Owner.Since), else (a session stored
// before that was kept) its claim when it was claimed, else its creation. A
// session an identity created or claimed with a token issued after it was
// erased (and authenticated again) is its new history, not the erased one;
// one that a request of an older token wrote after the erasure, which ran
// beside it, is not: its created_at or claimed_at may lie after the
// erasure's time.
func ownedSince(sess *identity.Session) time.Time {
	t := sess.CreatedAt
	if sess.ClaimedAt != nil {
		t = *sess.ClaimedAt
	}
	if since := sess.Owner.Since; !since.IsZero() && since.Before(t) {
		t = since
	}
	return t
}

func goneHash(principalKey string) string { return hashKey("gone", principalKey) }
func goneKey(orgID, principalKey string) string {
	return "gone/" + orgID + "/" + goneHash(principalKey)
}
func deletionKey(orgID, id string) string { return "deletion/" + orgID + "/" + id }
func erasingPrefix(orgID string) string   { return "erasing/" + orgID + "/" }
func kickKey(orgID, id string) string     { return "kick/" + orgID + "/" + id }

// TombstoneOf returns the principal's tombstone, nil when never erased.
func (s *Store) TombstoneOf(ctx context.Context, orgID, principalKey string) (*Tombstone, error) {
	var t Tombstone
	found, err := s.getJSON(ctx, goneKey(orgID, principalKey), &t)
	if err != nil || !found {
		return nil, err
	}
	return &t, nil
}

// Erasing is the org's erasures in progress, read with one list call: what
// the org's own views must hide until the job is done.
type Erasing map[string]time.Time // goneHash → At

// Hides reports whether sess is being erased.
func (e Erasing) Hides(sess *identity.Session) bool {
	at, ok := e[goneHash(sess.Owner.Key)]
	return ok && !ownedSince(sess).After(at)
}

type erasingMeta struct {
	Gone string    `json:"g"`
	At   time.Time `json:"at"`
}

// ErasingOf lists the org's erasures in progress.
func (s *Store) ErasingOf(ctx context.Context, orgID string) (Erasing, error) {
	out := Erasing{}
	cursor := ""
	for calls := 0; calls < 5; calls++ {
		res, err := s.kv.List(ctx, kv.ListOptions{Prefix: erasingPrefix(orgID), Cursor: cursor})
		if err != nil {
			return nil, unavailable(err)
		}
		for _, k := range res.Keys {
			var m erasingMeta
			if json.Unmarshal(k.Metadata, &m) == nil && m.Gone != "" {
				if m.At.After(out[m.Gone]) {
					out[m.Gone] = m.At
				}
			}
		}
		if res.Complete || res.Cursor == "" {
			break
		}
		cursor = res.Cursor
	}
	return out, nil
}

// Erasure names the person to erase.
type Erasure struct {
	OrgID        string
	PrincipalKey string
	UserKey      *identity.Key     // a verified user
	Contact      *identity.Contact // a contact
}

// StartDeletion erases a person: the tombstone and the org's marker are
// written, the person's own record is deleted at once (so that the next
// authentication or contact starts afresh), and the returned Deletion is
// pending until Step has removed the rest. It writes the Deletion before the
// tombstone, so that a tombstone always names a record.
func (s *Store) StartDeletion(ctx context.Context, e Erasure) (*Deletion, error) {
	now := s.Now()
	d := &Deletion{
		ID: uuid.NewString(), Status: DeletionPending, RequestedAt: now, UpdatedAt: now,
		OrgID: e.OrgID, Owner: hashKey(e.PrincipalKey),
	}
	var profile, device string
	if e.UserKey != nil {
		d.Profile = userKey(e.OrgID, *e.UserKey)
		d.Claimer = hashKey("claimer", e.PrincipalKey)
		profile = d.Profile
	}
	if e.Contact != nil {
		d.ContactID, d.Device = e.Contact.ID, e.Contact.DeviceHash
		profile = contactKey(e.OrgID, e.Contact.ID)
		if d.Device != "" {
			device = "device/" + e.OrgID + "/" + d.Device
		}
	}
	if err := s.putJSON(ctx, deletionKey(e.OrgID, d.ID), d, kv.PutOptions{}); err != nil {
		return nil, err
	}
	tomb := Tombstone{Deletion: d.ID, At: now}
	meta, _ := json.Marshal(erasingMeta{Gone: goneHash(e.PrincipalKey), At: now})
	err := conc.All(
		func() error { return s.putJSON(ctx, goneKey(e.OrgID, e.PrincipalKey), tomb, kv.PutOptions{}) },
		func() error { return s.put(ctx, erasingPrefix(e.OrgID)+d.ID, nil, kv.PutOptions{Metadata: meta}) },
	)
	if err != nil {
		return nil, err
	}
	fns := []func() error{func() error { return s.del(ctx, profile) }}
	if device != "" {
		fns = append(fns, func() error { return s.deleteDeviceIndex(ctx, device, d.ContactID) })
	}
	if err := conc.All(fns...); err != nil {
		return nil, err
	}
	return d, nil
}

// deleteDeviceIndex deletes a device's index if it still names contactID
// (a new contact of the device is not the erased person's).
func (s *Store) deleteDeviceIndex(ctx context.Context, key, contactID string) error {
	v, found, err := s.kv.Get(ctx, key)
	if err != nil {
		return unavailable(err)
	}
	if !found || string(v) != contactID {
		return nil
	}
	return s.del(ctx, key)
}

func (s *Store) del(ctx context.Context, key string) error {
	if err := s.kv.Delete(ctx, key); err != nil {
		return unavailable(err)
	}
	return nil
}

// Deletion returns the org's deletion with id, or identity.ErrNotFound.
func (s *Store) Deletion(ctx context.Context, orgID, id string) (*Deletion, error) {
	if uuid.Validate(id) != nil || len(id) != 36 {
		return nil, identity.ErrNotFound
	}
	var d Deletion
	found, err := s.getJSON(ctx, deletionKey(orgID, id), &d)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, identity.ErrNotFound
	}
	return &d, nil
}

// ShouldKick reports whether a pending deletion's job may have stalled (its
// queue message lost, as wrangler dev loses them when it stops) and should
// be sent again; at most once a minute per deletion.
func (s *Store) ShouldKick(ctx context.Context, d *Deletion) (bool, error) {
	if d.Status != DeletionPending || s.Now().Sub(d.UpdatedAt) < stallAfter+SweepDelay {
		return false, nil
	}
	_, found, err := s.kv.Get(ctx, kickKey(d.OrgID, d.ID))
	if err != nil || found {
		return false, orNil(err)
	}
	return true, s.put(ctx, kickKey(d.OrgID, d.ID), nil, kv.PutOptions{TTL: kv.MinTTL})
}

// StepResult is what Step did.
type StepResult struct {
	// Handled is false when the message was not for the deletion's present
	// step: Ahead (the record's write is not seen yet; retry) or stale (a
	// duplicate; drop).
	Handled, Ahead bool
	Done           bool
	// Next is the step to send next when not Done, after Delay.
	Next  int
	Delay time.Duration
	Ops   int
}

// Step runs batch step of the org's deletion id: at most DeletionBatchOps KV
// operations removing the person's sessions (messages, idempotency answers,
// legacy record, record, owner's listing key; that last, so that a batch cut
// short is resumed by the next listing), then their own records. Deletes are
// idempotent and a step other than the record's is not run, so a message
// delivered twice changes nothing the second time. send is called with the
// next step and its delay before the record is written; a message that
// arrives before the write is seen is Ahead.
func (s *Store) Step(ctx context.Context, orgID, id string, step int, send func(next int, delay time.Duration) error) (StepResult, error) {
	d, err := s.Deletion(ctx, orgID, id)
	if err != nil {
		return StepResult{}, err
	}
	res := StepResult{Ops: 1}
	switch {
	case d.Status == DeletionDone || step < d.Step:
		return res, nil
	case step > d.Step:
		res.Ahead = true
		return res, nil
	}
	res.Handled = true
	b := &budget{left: DeletionBatchOps - 2} // the record's read and write
	var tomb Tombstone
	tomb.At = d.RequestedAt
	if d.Phase == 0 {
		finished, err := s.eraseSessions(ctx, d, &tomb, b)
		if err != nil {
			return res, err
		}
		if finished {
			d.Phase, res.Delay = 1, SweepDelay
		}
	} else if d.Phase == 1 {
		finished, err := s.sweep(ctx, d, &tomb, b)
		if err != nil {
			return res, err
		}
		if finished {
			d.Phase = 2
		}
	}
	if d.Phase == 2 && b.left > 0 {
		finished, err := s.eraseOwn(ctx, d, b)
		if err != nil {
			return res, err
		}
		if finished {
			now := s.Now()
			*d = Deletion{ID: d.ID, Status: DeletionDone, RequestedAt: d.RequestedAt, CompletedAt: &now,
				Sessions: d.Sessions, Messages: d.Messages}
			res.Done = true
		}
	}
	res.Ops = DeletionBatchOps - b.left
	if !res.Done {
		d.Step++
		d.UpdatedAt = s.Now()
		res.Next = d.Step
		if err := send(d.Step, res.Delay); err != nil {
			return res, err
		}
	}
	if err := s.putJSON(ctx, deletionKey(orgID, id), d, kv.PutOptions{}); err != nil {
		return res, err
	}
	if res.Done {
		_ = s.del(ctx, erasingPrefix(orgID)+id)
	}
	return res, nil
}

type budget struct{ left int }

func (b *budget) take(n int) bool {
	if b.left < n {
		return false
	}
	b.left -= n
	return true
}

// eraseSessions removes the person's sessions owned since before the
// erasure. finished is true when none is left.
func (s *Store) eraseSessions(ctx context.Context, d *Deletion, tomb *Tombstone, b *budget) (bool, error) {
	prefix := "owned/" + d.OrgID + "/" + d.Owner + "/"
	cursor := ""
	for {
		if !b.take(1) {
			return false, nil
		}
		res, err := s.kv.List(ctx, kv.ListOptions{Prefix: prefix, Cursor: cursor})
		if err != nil {
			return false, unavailable(err)
		}
		for _, key := range res.Keys {
			id := invert(key.Name[len(prefix):])
			var meta summaryMeta
			_ = decodeSummary(key.Metadata, &meta)
			sess := meta.Session
			if sess == nil || meta.Owner == nil || meta.Partial {
				if !b.take(1) {
					return false, nil
				}
				if sess, err = s.Session(ctx, d.OrgID, id); err != nil && !errors.Is(err, identity.ErrNotFound) {
					return false, err
				}
			} else {
				sess.ID, sess.OrgID, sess.Owner = id, d.OrgID, *meta.Owner
			}
			if d.ContactID == "" && sess != nil && !tomb.Hides(sess) {
				continue // the same identity's, after its erasure
			}
			ok, err := s.eraseSession(ctx, d, id, key.Name, b)
			if err != nil || !ok {
				return false, err
			}
		}
		if res.Complete || res.Cursor == "" {
			return true, nil
		}
		cursor = res.Cursor
	}
}

// eraseSession removes one session: its messages and idempotency answers,
// then its legacy record, its record and its owner's listing key. ok is
// false when the budget ran out first (the next step goes on with it).
func (s *Store) eraseSession(ctx context.Context, d *Deletion, id, ownedKey string, b *budget) (bool, error) {
	if ok, err := s.eraseMessagesAndAnswers(ctx, d, id, b); err != nil || !ok {
		return false, err
	}
	if !b.take(3) {
		return false, nil
	}
	// The owner's listing key last: a batch cut short finds the session
	// there again. The legacy record before the record, which a read
	// would fall back to.
	for _, key := range []string{legacySessionKey(d.OrgID, id), sessionKey(d.OrgID, id), ownedKey} {
		if err := s.del(ctx, key); err != nil {
			return false, err
		}
	}
	if d.Phase == 0 || !slices.Contains(d.Erased, id) { // a message's summary may write a key back
		d.Sessions++
		d.Erased = append(d.Erased, id)
	}
	return true, nil
}

// eraseMessagesAndAnswers deletes a session's messages (counted in d) and
// its idempotency answers, as far as the budget goes; ok is false when it
// ran out first.
func (s *Store) eraseMessagesAndAnswers(ctx context.Context, d *Deletion, id string, b *budget) (bool, error) {
	n, ok, err := s.deletePrefix(ctx, messagePrefix(d.OrgID, id), b)
	d.Messages += n
	if err != nil || !ok {
		return false, err
	}
	_, ok, err = s.deletePrefix(ctx, idemSessionPrefix(d.OrgID, id), b)
	return ok && err == nil, err
}

// sweep goes over the erased sessions again and removes what a request in
// flight during the erasure wrote to them (a message, its idempotency
// answer, and the session's record and owner's listing key that a message's
// summary update writes back; for a contact, the listing key under its
// claimer that a claim in flight wrote): 4 operations a session when nothing
// is there, one more per claimer, and one list of the claim markers a batch.
func (s *Store) sweep(ctx context.Context, d *Deletion, tomb *Tombstone, b *budget) (bool, error) {
	if !d.Relisted {
		// A session a request in flight created after the first list.
		if finished, err := s.eraseSessions(ctx, d, tomb, b); err != nil || !finished {
			return false, err
		}
		d.Relisted = true
	}
	claimers, err := s.claimersOf(ctx, d, b)
	if err != nil || claimers == nil {
		return false, err
	}
	for d.Swept < len(d.Erased) {
		id := d.Erased[d.Swept]
		if ok, err := s.eraseMessagesAndAnswers(ctx, d, id, b); err != nil || !ok {
			return false, err
		}
		if !b.take(2 + len(claimers)) {
			return false, nil
		}
		fns := []func() error{
			func() error { return s.del(ctx, sessionKey(d.OrgID, id)) },
			func() error { return s.del(ctx, "owned/"+d.OrgID+"/"+d.Owner+"/"+invert(id)) },
		}
		// A claim that listed the session before the erasure and moved it
		// after: its listing key under the claimer, with the session's data.
		for _, prefix := range claimers {
			fns = append(fns, func() error { return s.del(ctx, prefix+invert(id)) })
		}
		if err := conc.All(fns...); err != nil {
			return false, err
		}
		d.Swept++
	}
	return true, nil
}

// claimersOf returns, for a contact's erasure, the listing prefixes of the
// verified identities that claimed sessions from the contact (its claim
// markers, kept claimMarkerTTL): a claim in flight during the erasure may
// have moved an erased session into one of them. Empty (not nil) when there
// are none or the person is not a contact; nil when the budget ran out.
func (s *Store) claimersOf(ctx context.Context, d *Deletion, b *budget) ([]string, error) {
	if d.ContactID == "" {
		return []string{}, nil
	}
	if !b.take(1) {
		return nil, nil
	}
	res, err := s.kv.List(ctx, kv.ListOptions{Prefix: claimMarkerPrefixHashed(d.OrgID, d.Owner)})
	if err != nil {
		return nil, unavailable(err)
	}
	out := []string{}
	for _, k := range res.Keys {
		if mk, ok := decodeClaimMarker(k); ok {
			out = append(out, ownerIndexPrefix(d.OrgID, mk.Owner.Key))
		}
	}
	return out, nil
}

// deletePrefix deletes every key under prefix within the budget; ok is
// false when it ran out first.
func (s *Store) deletePrefix(ctx context.Context, prefix string, b *budget) (deleted int, ok bool, err error) {
	for {
		if !b.take(1) {
			return deleted, false, nil
		}
		res, err := s.kv.List(ctx, kv.ListOptions{Prefix: prefix})
		if err != nil {
			return deleted, false, unavailable(err)
		}
		n := min(len(res.Keys), b.left)
		fns := make([]func() error, n)
		for i := range n {
			fns[i] = func() error { return s.del(ctx, res.Keys[i].Name) }
		}
		b.left -= n
		if err := conc.All(fns...); err != nil {
			return deleted, false, err
		}
		deleted += n
		if n < len(res.Keys) {
			return deleted, false, nil
		}
		if len(res.Keys) == 0 || res.Complete {
			return deleted, true, nil
		}
	}
}

// eraseClaimedAnswers removes, from the idempotency scope of every contact
// the person claimed sessions from, the answers about the sessions this
// deletion erased (a claim leaves them in the contact's scope: see
// ClaimSessions), then the claim's marker and the pointer at that scope, unless a claim by the
// identity's new history (a token issued after the erasure) wrote it. Other
// answers of the contact stay; an answer without metadata (stored before
// answers had it) goes too.
func (s *Store) eraseClaimedAnswers(ctx context.Context, d *Deletion, b *budget) (bool, error) {
	pointers := idemPrincipalPrefixHashed(d.OrgID, d.Owner) + "claimed/"
	if !b.take(1) {
		return false, nil
	}
	res, err := s.kv.List(ctx, kv.ListOptions{Prefix: pointers})
	if err != nil {
		return false, unavailable(err)
	}
	if len(res.Keys) == 0 {
		return true, nil
	}
	erased := d.erasedSet()
	for _, ptr := range res.Keys {
		prefix := idemPrincipalPrefixHashed(d.OrgID, ptr.Name[len(pointers):])
		cursor := ""
		for {
			if !b.take(1) {
				return false, nil
			}
			page, err := s.kv.List(ctx, kv.ListOptions{Prefix: prefix, Cursor: cursor})
			if err != nil {
				return false, unavailable(err)
			}
			for _, k := range page.Keys {
				var meta replayMeta
				if json.Unmarshal(k.Metadata, &meta) == nil && meta.Session != "" && !erased[meta.Session] {
					continue
				}
				if !b.take(1) {
					return false, nil
				}
				if err := s.del(ctx, k.Name); err != nil {
					return false, err
				}
			}
			if page.Complete || page.Cursor == "" {
				break
			}
			cursor = page.Cursor
		}
		// The pointer of a claim by the identity's new history (a token
		// issued after the erasure) stays, so that erasing that history
		// finds the contact's answers about the sessions it claimed.
		var meta claimedFromMeta
		if json.Unmarshal(ptr.Metadata, &meta) == nil && meta.Since.After(d.RequestedAt) {
			continue
		}
		// The claim's marker in the contact's claims, which holds the
		// user's owner record (user_id, email), then the pointer.
		if d.Claimer != "" {
			if !b.take(1) {
				return false, nil
			}
			if err := s.del(ctx, claimMarkerPrefixHashed(d.OrgID, ptr.Name[len(pointers):])+d.Claimer); err != nil {
				return false, err
			}
		}
		if !b.take(1) {
			return false, nil
		}
		if err := s.del(ctx, ptr.Name); err != nil {
			return false, err
		}
	}
	return res.Complete || res.Cursor == "", nil
}

// erasePrincipalAnswers deletes the idempotency answers in the person's
// own scope (p/), less, for a user, those about a session of the history
// they started by authenticating again after the erasure (the same identity
// has the same scope): a retry of that history's requests must still get
// its first answer. An answer about a session this deletion erased, or
// without a session, goes without a read; one about another session goes
// unless that session is the person's and their tombstone does not hide it
// (one read a session, remembered in d.Kept across batches).
func (s *Store) erasePrincipalAnswers(ctx context.Context, d *Deletion, b *budget) (bool, error) {
	prefix := idemPrincipalPrefixHashed(d.OrgID, d.Owner)
	if d.ContactID != "" {
		// A contact has no later history: its id is never given again.
		_, ok, err := s.deletePrefix(ctx, prefix, b)
		return ok, err
	}
	tomb := &Tombstone{At: d.RequestedAt}
	erased := d.erasedSet()
	cursor := ""
	for {
		if !b.take(1) {
			return false, nil
		}
		page, err := s.kv.List(ctx, kv.ListOptions{Prefix: prefix, Cursor: cursor})
		if err != nil {
			return false, unavailable(err)
		}
		for _, k := range page.Keys {
			if strings.HasPrefix(k.Name, prefix+"claimed/") {
				continue // eraseClaimedAnswers's: those it kept stay
			}
			var meta replayMeta
			about := ""
			if json.Unmarshal(k.Metadata, &meta) == nil {
				about = meta.Session
			}
			keep := about != "" && slices.Contains(d.Kept, about)
			if about != "" && !keep && !erased[about] {
				if !b.take(maxSessionGets) {
					return false, nil
				}
				sess, err := s.Session(ctx, d.OrgID, about)
				if err != nil && !errors.Is(err, identity.ErrNotFound) {
					return false, err
				}
				if sess != nil && hashKey(sess.Owner.Key) == d.Owner && !tomb.Hides(sess) {
					keep = true
					d.Kept = append(d.Kept, about)
				} else {
					erased[about] = true
				}
			}
			if keep {
				continue
			}
			if !b.take(1) {
				return false, nil
			}
			if err := s.del(ctx, k.Name); err != nil {
				return false, err
			}
		}
		if page.Complete || page.Cursor == "" {
			return true, nil
		}
		cursor = page.Cursor
	}
}

// eraseOwn removes the answers about the person's claimed sessions kept
// in their contacts' scopes, a contact's claim markers, the person's
// idempotency answers of session creation and their record (again: an
// authentication racing with the erasure may have written it back).
func (s *Store) eraseOwn(ctx context.Context, d *Deletion, b *budget) (bool, error) {
	if ok, err := s.eraseClaimedAnswers(ctx, d, b); err != nil || !ok {
		return false, err
	}
	if d.ContactID != "" {
		// The claims of the contact's sessions: their markers name the
		// contact (from_contact) and whom it was claimed by. The sweep,
		// done by now, was their last reader.
		if _, ok, err := s.deletePrefix(ctx, claimMarkerPrefixHashed(d.OrgID, d.Owner), b); err != nil || !ok {
			return false, err
		}
	}
	if ok, err := s.erasePrincipalAnswers(ctx, d, b); err != nil || !ok {
		return false, err
	}
	if !b.take(5) {
		return false, nil
	}
	if d.Profile != "" {
		var u identity.User
		found, err := s.getDecoded(ctx, d.Profile, func(b []byte) error { return json.Unmarshal(b, &u) })
		if err != nil {
			return false, err
		}
		if found && !u.UpdatedAt.After(d.RequestedAt) {
			if err := s.del(ctx, d.Profile); err != nil {
				return false, err
			}
		}
	}
	if d.ContactID != "" {
		if err := s.del(ctx, contactKey(d.OrgID, d.ContactID)); err != nil {
			return false, err
		}
		if d.Device != "" {
			if err := s.deleteDeviceIndex(ctx, "device/"+d.OrgID+"/"+d.Device, d.ContactID); err != nil {
				return false, err
			}
		}
	}
	return true, nil
}
