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
//	contact/{org}/{device}            Contact               one per device and org
//	user/{org}/{h(identity key)}      User                  verified user
//	revoked/{org}/{h(identity key)}   RFC 3339 time         tokens issued before it are refused
//	session/{org}/{session}           session record        the session, its owner
//	sessions/{org}/{inv(session)}     "" + summary meta     all the org's sessions, newest first
//	owned/{org}/{h(principal)}/{inv(session)}  "" + meta    a principal's sessions, newest first
//	msg/{org}/{session}/{message}     Message (+ meta)      one key per message, oldest first
//	idem/{org}/{h(caller, key)}       idempotency record    24 h TTL
//	webhook/{org}                     webhook.Config        the org's webhook: URL, events, secrets
//
// h is the unpadded base64url SHA-256, so that user-chosen ids (up to 256
// characters) keep keys under KV's 512 bytes. Session and message ids are
// UUID v7, time ordered; inv maps every hex digit d to f-d, so that a list in
// key order returns the newest session first. A listing key's metadata holds
// the session's summary (the API's session and its owner) when it fits KV's
// 1024 bytes, so a page of sessions is one list call; a session whose summary
// does not fit (large custom data, a long last message) is marked partial and
// read with one get. Message keys carry the message as metadata likewise.
//
// Posting a message writes the message key, then the session record and its
// two listing keys (the summary with last_message and updated_at). The
// summaries are last-writer-wins puts of values the request computed, never
// read-modify-write; if one fails the message is still stored and the next
// message repairs the summary. Workers KV takes about one write a second per
// key, so a session receiving messages faster than that may see its summary
// lag; the messages themselves are never lost.
//
// The webhook's secrets are stored as they are: they are HMAC keys the worker
// signs with. Whether an org has a webhook is read on the paths that emit
// events (a new session, a new message) through package webhook's per-instance
// cache, one get per org per instance every 30 s at most, not one per message;
// the delivery (a queue job) reads it again, so that it signs with the secrets
// and sends to the URL as they are then.
//
// KV is eventually consistent: another location may see a write up to a
// minute late. A revocation or key deletion is seen at once where it was made
// and within that minute everywhere; the README says so.
package store
