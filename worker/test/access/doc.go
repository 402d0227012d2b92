// Package access is a test rig: the six access rules of the contract
// (API.md, "Who sees which chats") as one table of cases, run at each layer
// that needs it from that one table: in process (this package's test, over
// api.New and kv.Memory) and against wrangler dev (worker/e2e).
//
// World (world.go) is the people and chats the cases speak of: two orgs;
// devices signed in as contacts (one claiming a verified user's email, one
// sending data a browser should not be able to set); verified users by
// user_id and by email (one signed in again from another device, one with a
// user_id that is an email, one bound to an external id); sessions made by
// each, with and without external ids and browser custom data. It is a list
// of steps (contract.Step), run in order by contract.BuildWorld.
//
// Cases (cases.go) is the table: each row names its rule, who acts (an
// actor of the world, with its org's widget token or another's), and one
// check: the sessions it lists exactly (and can read, while every other
// session of the world is 404 to it, for reading and for writing), a refusal
// (status, code, nothing stored changed), what /v1/widget/me shows, what a
// session records as verified and as non_verified_custom_data, or what the
// org's server lists. Run checks every row as its own subtest rule<N>/<name>.
//
// To extend it: a new case is one row; a new kind of step (a claim, a
// deletion) is one field of contract.Step and a few lines in
// contract.BuildWorld. Listings are exact, so a step that moves a session
// changes the named sets at the top of cases.go (annSessions,
// contactSessions, ...), not the rows: every other actor's rows then check
// that it does not see it.
package access
