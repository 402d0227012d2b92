package attack

import (
	"fmt"
	"slices"
	"strings"
)

// Issue 19's classes: identity keys of the two kinds never meet, Unicode case
// folding merges no emails, a deleted api key's tokens die with it, and no
// token carries the device id that mints contact tokens.

func identityKindCases() []Case {
	const cl, who = "identity-key-kinds", "a user_id that is the victim's email "
	return []Case{
		wc(cl, who+"lists none of the victim's sessions", "GET /v1/widget/sessions?limit=100", "{Impostor}", "", ok(listExactly())),
		wc(cl, who+"reads the victim's session", "GET /v1/widget/sessions/{SV}", "{Impostor}", "", hiddenWant),
		wc(cl, who+"posts to the victim's session", "POST /v1/widget/sessions/{SV}/messages", "{Impostor}", attackContent, hiddenWant),
		wc(cl, who+"reads the victim's ws-1 session", "GET /v1/widget/sessions/{SVws1}", "{Impostor}", "", hiddenWant),
	}
}

// lookAlikes of an address with a k and an i: Unicode lower-casing makes each
// of them "kim@...", which the contract's ASCII folding does not.
func lookAlikes(domain string) []string {
	return []string{"\u212aim@" + domain, "K\u0130M@" + domain, "k\u0131m@" + domain, "\u212aIM@" + strings.ToUpper(domain), "kim@\u212a" + domain}
}

func caseFoldEmailCases() []Case {
	const cl = "email-case-fold"
	var cs []Case
	invalidEmail := refusal(400, "invalid_email")
	for _, email := range lookAlikes("shop-a.example") {
		q := fmt.Sprintf("%+q", email)
		cs = append(cs,
			sc(cl, "authenticate "+q, "POST /v1/users/authenticate", "Bearer {A.key}", `{"email":"`+email+`","name":"Attacker"}`, invalidEmail),
			sc(cl, "revoke "+q, "POST /v1/users/revoke", "Bearer {A.key}", `{"email":"`+email+`"}`, invalidEmail),
			wc(cl, "contact claiming "+q, "POST /v1/widget/contacts", "", `{"device_id":"{DevA1}","email":"`+email+`"}`, invalidEmail))
	}
	return cs
}

func deletedKeyTokenCases() []Case {
	victims := []apiRoute{rGet.on("{SV}", "{the victim's}"), rPost.on("{SV}", "{the victim's}")}
	return presented("token-of-deleted-api-key", refusal(401, tokenRevoked), slices.Concat(allRoutes, victims),
		tok("victim's token issued by a deleted api key", fixed("{KG}")))
}

// noDeviceInTokens checks every token the fixture was issued: no claim holds
// any of its device ids.
func noDeviceInTokens(f *Fixture, _ *Response) []string {
	var bad []string
	for _, claims := range f.claims {
		for k, v := range claims {
			for _, d := range f.world.Devices {
				if strings.Contains(fmt.Sprint(v), d) {
					bad = append(bad, fmt.Sprintf("a %v token's claim %s holds a device id", claims["kind"], k))
				}
			}
		}
	}
	return bad
}

func deviceInTokenCases() []Case {
	const cl = "token-holds-device"
	return slices.Concat(presented(cl, refusal(401, invalidToken), allRoutes,
		// as contact tokens were before: the device id in sub
		keyTok("genuine signature, A1's device id in sub (the old shape)", resigned(func(f *Fixture, c map[string]any) { c["sub"] = f.v("DevA1") }))),
		presented(cl, refusal(401, invalidToken), writeRoutes,
			keyTok("genuine signature, A2's contact id in sub and A1's in cid", resigned(func(f *Fixture, c map[string]any) { c["sub"] = f.claimsOf("CA2")["sub"] }))),
		[]Case{wc(cl, "no token the worker issued holds a device id", "GET /v1/widget/me", "{CA1}", "", ok(noDeviceInTokens))})
}
