package attack

import (
	"fmt"
	"strings"
)

// Issue 19's classes: identity keys of the two kinds never meet, Unicode case
// folding merges no emails, a deleted api key's tokens die with it, and no
// token carries the device id that mints contact tokens.

func identityKindCases() []Case {
	tImp := func(f *Fixture) string { return f.Impostor }
	none := func(*Fixture) []string { return nil }
	return []Case{
		widgetCase(ClassIdentityKinds, "a user_id that is the victim's email lists none of the victim's sessions",
			"GET", fixed("/v1/widget/sessions?limit=100"), nil, tImp, "", ok(listExactly(none))),
		widgetCase(ClassIdentityKinds, "a user_id that is the victim's email reads the victim's session", "GET", sessionPath(sV), nil, tImp, "", hiddenWant),
		widgetCase(ClassIdentityKinds, "a user_id that is the victim's email posts to the victim's session", "POST", messagesPath(sV), nil, tImp, attackContent, hiddenWant),
		widgetCase(ClassIdentityKinds, "a user_id that is the victim's email reads the victim's ws-1 session", "GET", sessionPath(sVws1), nil, tImp, "", hiddenWant),
	}
}

// lookAlikes of an address with a k and an i: Unicode lower-casing makes each
// of them "kim@...", which the contract's ASCII folding does not.
func lookAlikes(domain string) []string {
	return []string{"\u212aim@" + domain, "K\u0130M@" + domain, "k\u0131m@" + domain, "\u212aIM@" + strings.ToUpper(domain), "kim@\u212a" + domain}
}

func caseFoldEmailCases() []Case {
	var cs []Case
	invalidEmail := refusal(400, "invalid_email")
	keyA := bearerOf(func(f *Fixture) string { return f.A.APIKey })
	for _, email := range lookAlikes("shop-a.example") {
		email := email
		q := fmt.Sprintf("%+q", email)
		cs = append(cs,
			serverCase(ClassCaseFoldEmail, "authenticate "+q, "POST", fixed("/v1/users/authenticate"), keyA,
				body(`{"email":"`+email+`","name":"Attacker"}`), invalidEmail),
			serverCase(ClassCaseFoldEmail, "revoke "+q, "POST", fixed("/v1/users/revoke"), keyA,
				body(`{"email":"`+email+`"}`), invalidEmail),
			Case{Class: ClassCaseFoldEmail, Name: "contact claiming " + q, Want: invalidEmail, Req: func(f *Fixture) Request {
				return widgetReq("POST", "/v1/widget/contacts", f.A.WidgetToken, "", `{"device_id":"`+f.DevA1+`","email":"`+email+`"}`)
			}},
		)
	}
	return cs
}

func deletedKeyTokenCases() []Case {
	kg := func(f *Fixture) string { return f.KG }
	cs := tokenCases(ClassDeletedKeyTokens, refusal(401, tokenRevoked), allRoutes, userToken{name: "victim's token issued by a deleted api key", make: kg})
	return append(cs, tokenCases(ClassDeletedKeyTokens, refusal(401, tokenRevoked), []route{
		{"GET /v1/widget/sessions/{the victim's}", "GET", func(f *Fixture) string { return "/v1/widget/sessions/" + f.SV }, ""},
		{"POST /v1/widget/sessions/{the victim's}/messages", "POST", func(f *Fixture) string { return "/v1/widget/sessions/" + f.SV + "/messages" }, attackContent},
	}, userToken{name: "victim's token issued by a deleted api key", make: kg})...)
}

// noDeviceInTokens checks every token the fixture was issued: no claim holds
// any of its device ids.
func noDeviceInTokens(f *Fixture, _ *Response) []string {
	var bad []string
	for tok, claims := range f.claims {
		for k, v := range claims {
			s := fmt.Sprint(v)
			for _, d := range []string{f.DevA1, f.DevA2, f.DevA3, f.DevB1} {
				if d != "" && strings.Contains(s, d) {
					bad = append(bad, fmt.Sprintf("a %v token's claim %s holds a device id", f.claims[tok]["kind"], k))
				}
			}
		}
	}
	return bad
}

func deviceInTokenCases() []Case {
	oldShape := func(dev func(f *Fixture) string) func(f *Fixture) string {
		return func(f *Fixture) string {
			c := f.contactClaims()
			c["sub"] = dev(f) // as contact tokens were before: the device id in sub
			return f.signed(nil, c)
		}
	}
	cs := tokenCases(ClassDeviceInToken, refusal(401, invalidToken), allRoutes,
		userToken{name: "genuine signature, A1's device id in sub (the old shape)", needsKey: true, make: oldShape(func(f *Fixture) string { return f.DevA1 })},
	)
	cs = append(cs, tokenCases(ClassDeviceInToken, refusal(401, invalidToken), writeRoutes,
		userToken{name: "genuine signature, A2's contact id in sub and A1's in cid", needsKey: true, make: func(f *Fixture) string {
			c := f.contactClaims()
			c["sub"] = f.claimsOf(f.CA2)["sub"]
			return f.signed(nil, c)
		}},
	)...)
	return append(cs, widgetCase(ClassDeviceInToken, "no token the worker issued holds a device id", "GET", fixed("/v1/widget/me"), nil, tCA1, "",
		ok(noDeviceInTokens)))
}
