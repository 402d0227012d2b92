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
//	session/{org}/{session}           session record        the session, its owner
//	sessions/{org}/{inv(session)}     "" + summary meta     all the org's sessions, newest first
//	owned/{org}/{h(principal)}/{inv(session)}  "" + meta    a principal's sessions, newest first
//	msg/{org}/{session}/{message}     Message (+ meta)      one key per message, oldest first
//	claims/{org}/{h(contact key)}/{h(claimer key)}  "" + meta  a claim of the contact's sessions, 24 h TTL
//	idem/{org}/{h(caller, key)}       idempotency record    24 h TTL
//
// h is the unpadded base64url SHA-256, so that user-chosen ids (up to 256
// characters) keep keys under KV's 512 bytes. It hashes a kind and a value
// joined by NUL ("device", "identity"), so hashes of different kinds never
// meet. An identity key is "u:" + user_id or "e:" + email with its ASCII
// letters lower-cased (identity.Key); a principal's key is that, or "c:" +
// contact id. The device id mints contact tokens, so it is never stored:
// only h(device) is, in the device's index and the contact's record.
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
// read with one get. Message keys carry the message as metadata likewise.
//
// MoveSessions gives a principal's sessions to another owner (the migration
// above, and claims): per session its record and org listing key are
// rewritten, a listing key is put under the new owner and the old owner's
// deleted: 4 operations (5 when its summary is partial), so a call moves
// about 220 sessions.
//
// A claim (POST /v1/widget/claim, ClaimSessions) puts its claim marker (the
// claimer's owner record and the claim's time, as metadata), then moves the
// contact's sessions with MoveSessions, which writes each one's new listing
// key before its record and org listing key and deletes the old listing key
// last: 1 + 1 list per 1,000 keys + 4 per session, so 200 sessions take
// about 805 operations with the request's own reads. A claimed session keeps
// verified false and gets claimed_at; its owner is the verified identity.
// After a post rewrites a contact's session (from a read that may predate a
// claim), it lists the contact's claim markers (one list call, no get while
// there are none) and gives the session back to a claimer whose listing
// already holds it (claim.go says why that cannot miss). Two claims of one
// identity at once move each session once; two identities claiming one
// device at the same instant may leave one of them a stale listing key
// (its record says the other: a get is 404 to it).
//
// Posting a message writes the message key, then the session record and its
// two listing keys (the summary with last_message and updated_at). The
// summaries are last-writer-wins puts of values the request computed, never
// read-modify-write; if one fails the message is still stored and the next
// message repairs the summary. Workers KV takes about one write a second per
// key, so a session receiving messages faster than that may see its summary
// lag; the messages themselves are never lost.
//
// KV is eventually consistent: another location may see a write up to a
// minute late. A revocation or key deletion is seen at once where it was made
// and within that minute everywhere; the README says so.
package store
