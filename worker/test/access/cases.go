package access

import "github.com/chatwidget/identity/worker/test/contract"

// Sessions of the world, by owner.
var (
	annSessions   = []string{"ann.laptop", "ann.browser", "ann.phone.a"}
	u1Sessions    = []string{"u1.plain", "u1.ws-9", "u1.ws-1", "bound.made", "bound.same", "bound.empty"}
	ws1Sessions   = []string{"u1.ws-1", "bound.made", "bound.same", "bound.empty"}
	wsdevSessions = []string{"wsdev.ws-1", "wsdev.ws-2", "wsdev.none"}
	// Every session a contact made: the org's ?verified=false.
	contactSessions = []string{"pat1.a", "pat1.b", "pat2.a", "claimer.a", "impostor.a", "wsdev.ws-1", "wsdev.ws-2", "wsdev.none"}
)

// Cases is the table. Each row is one check of one rule; rows run in order,
// after the world is built.
func Cases() []Case {
	cs := []Case{
		// Rule 1: a contact token sees exactly the sessions of its org and device.
		{Rule: 1, Name: "a contact sees its device's sessions", As: "pat1", Lists: &Listing{Want: []string{"pat1.a", "pat1.b"}}},
		{Rule: 1, Name: "another device with the same name and email", As: "pat2", Lists: &Listing{Want: []string{"pat2.a"}}},
		{Rule: 1, Name: "a new token for the same device", As: "pat1.again", Lists: &Listing{Want: []string{"pat1.a", "pat1.b"}}},
		{Rule: 1, Name: "the same device in another org", As: "b.pat1", Lists: &Listing{Want: []string{"b.pat1.a"}}},
		{Rule: 1, Name: "a new token for the same device writes", As: "pat1.again", Writes: &Write{Session: "pat1.a", Messages: 2}},

		// Rule 2: a verified token sees its identity's sessions from any device.
		{Rule: 2, Name: "ann by email", As: "ann", Lists: &Listing{Want: annSessions}},
		{Rule: 2, Name: "ann signed in again, the email cased differently", As: "ann.phone", Lists: &Listing{Want: annSessions}},
		{Rule: 2, Name: "another email", As: "bob", Lists: &Listing{Want: []string{"bob.a"}}},
		{Rule: 2, Name: "a user_id with ann's email is another identity", As: "u-ann", Lists: &Listing{Want: []string{"u-ann.a"}}},
		{Rule: 2, Name: "a user_id equal to ann's email is another identity", As: "ann-as-uid", Lists: &Listing{Want: []string{"ann-as-uid.a"}}},
		{Rule: 2, Name: "ann in another org", As: "b.ann", Lists: &Listing{Want: []string{"b.ann.a"}}},
		{Rule: 2, Name: "user_id on the laptop", As: "roam1", Lists: &Listing{Want: []string{"roam1.a", "roam2.a"}}},
		{Rule: 2, Name: "user_id on the phone", As: "roam2", Lists: &Listing{Want: []string{"roam1.a", "roam2.a"}}},
		{Rule: 2, Name: "the phone writes into the laptop's session", As: "roam2", Writes: &Write{Session: "roam1.a", Messages: 2}},
		{Rule: 2, Name: "the laptop writes into the phone's session", As: "roam1", Writes: &Write{Session: "roam2.a", Messages: 1}},
		{Rule: 2, Name: "another user_id with the same email", As: "roam-other", Lists: &Listing{Want: nil}},

		// Rule 3: contact and verified never cross.
		{Rule: 3, Name: "a contact claiming ann's email", As: "claimer", Lists: &Listing{Want: []string{"claimer.a"}}},
		{Rule: 3, Name: "a contact claiming ann's email in capitals", As: "CLAIMER", Lists: &Listing{Want: nil}},
		{Rule: 3, Name: "a contact claiming ann's email with verified data", As: "impostor", Lists: &Listing{Want: []string{"impostor.a"}}},
		{Rule: 3, Name: "the claimer reaches none of the users with that email", As: "claimer",
			Hidden: []string{"ann.laptop", "ann.phone.a", "u-ann.a", "ann-as-uid.a"}},
		{Rule: 3, Name: "the users with that email reach none of the claimers", As: "ann", Hidden: []string{"claimer.a", "impostor.a"}},
		{Rule: 3, Name: "a user_id with that email reaches none of the claimers", As: "u-ann", Hidden: []string{"claimer.a", "impostor.a"}},
		{Rule: 3, Name: "the claimer is an unverified contact", As: "claimer", Me: &Shown{Kind: "contact"}},
		{Rule: 3, Name: "the claimer in capitals is an unverified contact", As: "CLAIMER", Me: &Shown{Kind: "contact"}},
		{Rule: 3, Name: "the org's server lists ann's verified sessions apart", Server: "A",
			OrgLists: &OrgListing{Filter: filter("", "ann@example.com", "", ptr(true)), Want: append([]string{"u-ann.a"}, annSessions...)}},

		// Rule 4: external ids.
		{Rule: 4, Name: "a request's external id is kept", Session: &Recorded{Session: "u1.ws-9", Verified: true, Want: M{"external_id": "ws-9"}}},
		{Rule: 4, Name: "no external id is null", Session: &Recorded{Session: "u1.plain", Verified: true, Want: M{"external_id": nil}}},
		{Rule: 4, Name: "a bound token gives its external id", Session: &Recorded{Session: "bound.made", Verified: true, Want: M{"external_id": "ws-1"}}},
		{Rule: 4, Name: "a bound token naming its own external id", Session: &Recorded{Session: "bound.same", Verified: true, Want: M{"external_id": "ws-1"}}},
		{Rule: 4, Name: "a bound token naming an empty external id", Session: &Recorded{Session: "bound.empty", Verified: true, Want: M{"external_id": "ws-1"}}},
		{Rule: 4, Name: "a contact's external id is kept", Session: &Recorded{Session: "wsdev.ws-1", Want: M{"external_id": "ws-1"}}},
		{Rule: 4, Name: "a contact's session without external id", Session: &Recorded{Session: "wsdev.none", Want: M{"external_id": nil}}},
		{Rule: 4, Name: "a bound token creating with another external id", As: "u1@ws-1",
			Refused: &Refusal{Method: "POST", Path: "/v1/widget/sessions", Body: map[string]any{"external_id": "ws-2"}, Status: 403, Codes: []string{"external_id_mismatch"}}},
		{Rule: 4, Name: "a bound token listing another external id", As: "u1@ws-1",
			Refused: &Refusal{Method: "GET", Path: "/v1/widget/sessions?external_id=ws-2", Status: 403, Codes: []string{"external_id_mismatch"}}},
		{Rule: 4, Name: "a bound token sees only its external id's sessions", As: "u1@ws-1", Lists: &Listing{Want: ws1Sessions}},
		{Rule: 4, Name: "a bound token listing its own external id", As: "u1@ws-1", Lists: &Listing{ExternalID: "ws-1", Want: ws1Sessions}},
		{Rule: 4, Name: "an unbound token lists all of the identity's", As: "u1", Lists: &Listing{Want: u1Sessions}},
		{Rule: 4, Name: "an unbound token listing ws-9", As: "u1", Lists: &Listing{ExternalID: "ws-9", Want: []string{"u1.ws-9"}}},
		{Rule: 4, Name: "an unbound token listing ws-1", As: "u1", Lists: &Listing{ExternalID: "ws-1", Want: ws1Sessions}},
		{Rule: 4, Name: "an unbound token listing an unused id", As: "u1", Lists: &Listing{ExternalID: "nope", Want: nil}},
		{Rule: 4, Name: "a contact lists all of its device's", As: "wsdev", Lists: &Listing{Want: wsdevSessions}},
		{Rule: 4, Name: "a contact listing ws-1", As: "wsdev", Lists: &Listing{ExternalID: "ws-1", Want: []string{"wsdev.ws-1"}}},
		{Rule: 4, Name: "a contact listing ws-2", As: "wsdev", Lists: &Listing{ExternalID: "ws-2", Want: []string{"wsdev.ws-2"}}},
		{Rule: 4, Name: "a contact listing an unused id", As: "wsdev", Lists: &Listing{ExternalID: "nope", Want: nil}},
		{Rule: 4, Name: "me shows the signed external id", As: "u1@ws-1", Me: &Shown{Kind: "user", Want: M{"external_id": "ws-1"}}},
		{Rule: 4, Name: "the org's server filters by external id", Server: "A", OrgLists: &OrgListing{Filter: filter("", "", "ws-9", nil), Want: []string{"u1.ws-9"}}},
		{Rule: 4, Name: "the org's server lists the identity's, bound or not", Server: "A", OrgLists: &OrgListing{Filter: filter("u-1", "", "", nil), Want: u1Sessions}},

		// Rule 6: only the api key and signed tokens are verified.
		{Rule: 6, Name: "a contact's browser data is non-verified", As: "impostor",
			Me: &Shown{SignIn: true, Kind: "contact", Want: M{"non_verified_custom_data": browserData}}},
		{Rule: 6, Name: "a contact's browser data, as me", As: "impostor", Me: &Shown{Kind: "contact", Want: M{"non_verified_custom_data": browserData}}},
		{Rule: 6, Name: "a contact's session claiming verified", Session: &Recorded{Session: "impostor.a", Want: M{"non_verified_custom_data": browserData}}},
		{Rule: 6, Name: "a contact's session, as the org sees it", Session: &Recorded{Session: "impostor.a", Via: "org", Want: M{"non_verified_custom_data": browserData}}},
		{Rule: 6, Name: "a verified session's browser data", Session: &Recorded{Session: "ann.browser", Verified: true, Want: M{"non_verified_custom_data": browserData}}},
		{Rule: 6, Name: "a verified session's browser data, as the org sees it", Session: &Recorded{Session: "ann.browser", Via: "org", Verified: true, Want: M{"non_verified_custom_data": browserData}}},
		{Rule: 6, Name: "a verified session's browser data, in the org's listing", Session: &Recorded{Session: "ann.browser", Via: "orglist", Verified: true, Want: M{"non_verified_custom_data": browserData}}},
		{Rule: 6, Name: "the verified user keeps the server's data", As: "ann",
			Me: &Shown{Kind: "user", Want: M{"name": "Ann", "custom_data": serverData}}},
		{Rule: 6, Name: "the verified user signed in again keeps it", As: "ann.phone",
			Me: &Shown{Kind: "user", Want: M{"name": "Ann", "custom_data": serverData}}},
		{Rule: 6, Name: "the org's server lists the contacts' sessions as non-verified", Server: "A",
			OrgLists: &OrgListing{Filter: filter("", "", "", ptr(false)), Want: contactSessions}},
	}
	// Rule 5: a token of another org than the widget token's is 401, on
	// every widget route, for a contact and a verified token, both ways.
	for _, x := range []struct{ as, widget string }{
		{"b.pat1", "A"}, {"b.ann", "A"}, {"b.u1", "A"},
		{"pat1", "B"}, {"ann", "B"}, {"u1", "B"},
	} {
		routes := []Refusal{
			{Method: "GET", Path: "/v1/widget/me"},
			{Method: "GET", Path: "/v1/widget/sessions"},
			{Method: "POST", Path: "/v1/widget/sessions", Body: map[string]any{}},
		}
		for _, s := range []string{"ann.laptop", "pat1.a", "b.ann.a", "b.pat1.a"} {
			routes = append(routes,
				Refusal{Method: "GET", Path: "/v1/widget/sessions/{" + s + "}"},
				Refusal{Method: "POST", Path: "/v1/widget/sessions/{" + s + "}/messages", Body: map[string]any{"content": "cross-org"}})
		}
		for _, r := range routes {
			r.Status, r.Codes = 401, []string{"invalid_token", "unauthorized"}
			cs = append(cs, Case{Rule: 5, Name: x.as + " with " + x.widget + "'s widget token/" + r.Method + " " + r.Path,
				As: x.as, Widget: x.widget, Refused: &r})
		}
	}
	// Rule 6: the browser cannot reach the org server's route with what it holds.
	for _, c := range []struct {
		name  string
		creds Creds
	}{{"the widget token", WidgetOnly}, {"the widget token as bearer", WidgetAsBearer}, {"a user token", TokenOnly}} {
		cs = append(cs, Case{Rule: 6, Name: "authenticate with " + c.name, As: "ann", Refused: &Refusal{
			Method: "POST", Path: "/v1/users/authenticate", Creds: c.creds, Status: 401, Codes: []string{"unauthorized"},
			Body: map[string]any{"email": "ann@example.com", "custom_data": map[string]any{"plan": "free"}}}})
	}
	return cs
}

func filter(userID, email, externalID string, verified *bool) contract.SessionFilter {
	return contract.SessionFilter{UserID: userID, Email: email, ExternalID: externalID, Verified: verified}
}

func ptr[T any](v T) *T { return &v }
