// Package store keeps what the API needs in a KV (package kv): orgs, api
// keys, contacts, users, sessions, messages and idempotency records.
//
// # KV layout
//
// Every hot path is a few direct reads of keys built from what the request
// already knows, plus at most one list call. No value shared between requests
// is read, modified and written back: every message has its own key.
//
//	org/{org}                         Org                   by id (admin routes)
//	widget/{pk}                       Org                   by widget token (every widget call)
//	origin/{origin}/{org}             ""                    CORS preflight: is any org on this origin
//	apikey/{sha256(secret)}           APIKey                by secret hash (every org-server call)
//	orgkey/{org}/{key id}             sha256(secret)        to delete a key by id
//	device/{org}/{h(device)}          contact id            the device's contact (only a hash of the device)
//	contactid/{org}/{contact}         Contact               one per device and org, with h(device)
//	user/{org}/{h(identity key)}      User                  verified user
//	revoked/{org}/{h(identity key)}   RFC 3339 time         tokens issued before it are refused
//	sessions/{org}/{inv(session)}     record + summary meta the session, its owner; the org's sessions, newest first
//	owned/{org}/{h(principal)}/{inv(session)}  "" + meta    a principal's sessions, newest first
//	msg/{org}/{session}/{message}     Message (+ meta)      one key per message, oldest first
//	claims/{org}/{h(contact key)}/{h(claimer key)}  "" + meta  a claim of the contact's sessions, 24 h TTL
//	idem/{org}/p/{h(principal)}/{h(caller, key)}  idempotency record (widget) + {session} meta, 24 h TTL
//	idem/{org}/p/{h(claimer)}/claimed/{h(contact)}  "" + {since} meta  the claimer took sessions of that contact, 25 h TTL
//	idem/{org}/s/{session}/{h(caller, key)}       idempotency record (org's server), 24 h TTL
//	idem/{org}/s/{session}/hook/{event}           a webhook payload too large for a queue message, until delivered (24 h TTL)
//	deletion/{org}/{deletion}         Deletion              an erasure's status and job state
//	gone/{org}/{h("gone", principal)} Tombstone             {deletion id, time}: kept for good
//	erasing/{org}/{deletion}          "" + {h, time} meta   the org's erasures in progress
//	kick/{org}/{deletion}             ""                    60 s TTL: a stalled job was sent again
//	webhook/{org}                     webhook.Config        the org's webhook: URL, events, secrets
//
// h is the unpadded base64url SHA-256, so that user-chosen ids (up to 256
// characters) keep keys under KV's 512 bytes. It hashes a kind and a value
// joined by NUL ("device", "identity"), so hashes of different kinds never
// meet. An identity key is "u:" + user_id or "e:" + email with its ASCII
// letters lower-cased (identity.Key); a principal's key is that, or "c:" +
// contact id. The device id mints contact tokens, so it is never stored:
// only h(device) is, in the device's index and the contact's record. A new
// contact's id is a hash too, of the org, the device and a generation (the
// first whose contact was not erased: one tombstone get), so that first
// visits of a device at once, which all miss the index, make one contact; a
// new user's id likewise, of the org, the identity key and the deletion
// that last erased it (its tombstone), so that first authentications at once
// answer one id.
//
// Before identity keys had kinds (version 17da277) contacts lived at
// contact/{org}/{device}, users at user/{org}/{sha(user_id or
// Unicode-lower-cased email)}, and sessions were owned by "d:" + device or
// "v:" + that key. None of those can equal a present key (present hashes
// hold a NUL, present owner keys start with c:, u: or e:). They are moved
// when their person next comes: a device's contact when it next asks for a
// contact token, a user when the org's server next authenticates exactly
// that identity (the same user_id; or no user_id and the same email,
// ASCII-folded). MoveSessions moves their sessions, at most MaxMoveOps KV
// operations a call, resumed by the next call. Session and message ids are
// UUID v7, time ordered; inv maps every hex digit d to f-d, so that a list in
// key order returns the newest session first. A listing key's metadata holds
// the session's summary (the API's session and its owner) when it fits KV's
// 1024 bytes, so a page of sessions is one list call; a session whose summary
// does not fit (large custom data, a long last message) is marked partial and
// read with one get. A partial summary holds the owner and external id, or a
// hash of an external id too long for it (256 emoji, or "<", which JSON
// escapes to six bytes), so that a listing or claim by external id passes the
// sessions of another unread. Message keys carry the message as metadata
// likewise.
//
// A session's record is the value of its key in the org's listing, whose
// metadata is its summary: one put writes both. Until December 2026 the
// record had a key of its own, session/{org}/{session}, and the listing key
// an empty value: a read that finds the value empty, or no key (a write of
// before may have left only the record), reads that legacy record (a
// second get: an id that does not exist costs two); a write puts the record
// in the listing key, and a move or an erasure deletes the legacy one.
//
// MoveSessions gives a principal's sessions to another owner (the migration
// above, and claims): per session its record is rewritten, a listing key is
// put under the new owner, the old owner's and any legacy record are
// deleted: 4 operations (5 or 6 when its summary is partial), so a call
// moves about 220 sessions.
//
// A claim (POST /v1/widget/claim, ClaimSessions) is refused when the
// contact's tombstone exists (an erased contact's token is refused there
// too). It puts its claim marker (the claimer's owner record and the
// claim's time, as metadata), then moves the
// contact's sessions with MoveSessions, which writes each one's new listing
// key before its record and deletes the old listing key last: 1 + 1 list
// per 1,000 keys + 4 per session, so 200 sessions take about 807 operations
// with the request's own reads. A claimed session keeps
// verified false and gets claimed_at; its owner is the verified identity.
// After a post rewrites a contact's session (from a read that may predate a
// claim), it lists the contact's claim markers (one list call, no get while
// there are none) and gives the session back to a claimer whose listing
// already holds it (claim.go says why that cannot miss). Two claims of one
// identity at once move each session once; package api lets the claims of
// one contact take turns within an instance, but two identities claiming
// one device at the same instant in two instances may leave one of them a
// stale listing key (its record says the other: a get is 404 to it).
//
// Posting a message writes the message key, then the session's key (its
// record and the org's listing) and its owner's listing key (the summary
// with last_message and updated_at): 3 puts. The summaries are
// last-writer-wins puts of values the request computed, never
// read-modify-write; if one fails the message is still stored and the next
// message repairs the summary. Package api lets the posts to one session
// take turns within an instance, each taking its message's id in its turn,
// so that posts at once there leave the newest as last_message; posts at
// once in two instances may leave the older until the next. Workers KV takes about one write a second per
// key, so a session receiving messages faster than that may see its summary
// lag; the messages themselves are never lost.
//
// Idempotency records were kept at idem/{org}/{h(caller, key)} until they
// got a scope (so that an erasure finds them with a list call): those expire
// within 24 hours and are not read, so a retry of a request answered before
// the change is served as a new request.
//
// # Erasing a person
//
// StartDeletion writes the Deletion, the person's tombstone and the org's
// marker, and deletes the person's own record (user, or contact and device
// index) at once. The tombstone is read on every widget request beside the
// revocation (one get, concurrent): a contact's tokens are refused for good
// (contact ids are never given again), a verified identity's tokens issued
// until the erasure are refused, and sessions owned since before it are
// hidden from a token issued after it. A session is owned since its owner's
// token was issued, the token of the request that created or claimed it
// (identity.Owner.Since; for sessions stored before that was kept, its
// creation or claim): a request of an older token that ran beside the
// erasure and wrote the session after the erasure's time made no new
// history, and the erasure takes it too. (Within an instance such a request
// cannot straddle the tombstone at all: package api's holdPerson.) The org's views (its listing, a
// session, a message post) list erasing/{org}/ once, concurrently with their
// own read, and hide the sessions being erased. Step then removes, at most
// DeletionBatchOps operations a batch, per session its messages, its
// idempotency answers (s/ scope), its legacy record, its record and its
// owner's listing key (that last, so a batch cut short resumes at the next
// listing); SweepDelay
// later it lists the person's sessions once more (for one that a request
// let through just before the erasure created after the first list; a
// contact's all, a user's those its tombstone hides) and goes over the
// removed sessions once more (their ids are kept in the Deletion until
// done) for what such a request wrote after them (a message, and the
// summary it writes back; for a contact, the listing key under a claimer
// that a claim which listed the session before the erasure wrote after it,
// found through the contact's claim markers);
// then it removes, in the scope of each contact the person claimed
// sessions from (the claimed/ pointers), the answers about the sessions it
// erased (a claim leaves them where the contact's requests wrote them; the
// metadata names the session) and the claim's marker there (it holds
// the claimer's owner record), a contact's own claim markers, the person's own idempotency answers (p/
// scope; a user's new history's, authenticated again after the erasure,
// stay) and record again (an authentication racing with the erasure may
// have written it back). A status read of a deletion whose record stood still for 35 s
// sends its batch again (a lost queue message: wrangler dev keeps its
// queue in memory). A
// batch runs only when its step number is the record's: a batch delivered
// again after it was done is dropped; one ahead of the record (written
// but not yet seen) is retried. Counts are those of the batches that
// completed: a batch that failed halfway, or two deliveries of one batch at
// the same instant, may count a few keys short or twice. When done the
// record keeps only id, status, times and counts. What outlives the person
// holds no data of theirs: the tombstone is keyed by a hash of their
// principal key and holds a deletion id and a time; the revocation (if
// any) a hash and a time. The rate limiter counts outside KV (package
// api's Limiter), under hashes, and forgets them within minutes.
//
// The webhook's secrets are stored as they are: they are HMAC keys the worker
// signs with. Whether an org has a webhook is read on the paths that emit
// events (a new session, a new message) through package webhook's per-instance
// cache, one get per org per instance every 30 s at most, not one per message;
// the delivery (a queue job) reads it again, so that it signs with the secrets
// and sends to the URL as they are then. An event holds its session's data
// until it is delivered, so each attempt also reads the tombstone of the
// session's owner (SubjectOf, Erased: a hash, no data of theirs): an event
// of a person erased since it was sent is dropped, not delivered, unless a
// claim had moved its session away from them before the erasure (then the
// session, read only in that case, is judged by its owner now). A
// payload too large for a queue message (webhook.Payloads: 10,000 control
// characters, carried twice) waits under its session's idempotency scope,
// which the session's erasure deletes with its answers; the delivery reads
// it at each attempt and deletes it after the last. Smaller ones, nearly
// all, cost no KV operation.
//
// KV is eventually consistent: another location may see a write up to a
// minute late. A revocation or key deletion is seen at once where it was made
// and within that minute everywhere; the README says so.
package store
